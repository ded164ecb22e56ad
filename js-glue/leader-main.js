// The leader on an elected tab's main thread (dist/wsshare-leader.mjs), loaded
// only when the browser refused the leader's Worker (a worker-src policy, a
// worker script that failed to load). The Worker is preferred: a hidden page's
// timers are throttled, a worker's are not.

import { instantiateCore } from './core-wasm.js';
import { LeaderHost } from './leader-host.js';

export async function startLeader(init) {
  return new LeaderHost(await instantiateCore(init.wasmUrl), init).start();
}
