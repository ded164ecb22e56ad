// The ES module entry (dist/wsshare.mjs). The worker, wasm and fallback leader
// URLs are written so bundlers (Vite, webpack 5) see them and emit the files.

import { SharedWebSocket, setDefaultUrls } from './shared-websocket.js';

setDefaultUrls(() => ({
  workerUrl: new URL('./wsshare-worker.js', import.meta.url),
  wasmUrl: new URL('./wsshare.wasm', import.meta.url),
  leaderUrl: new URL('./wsshare-leader.mjs', import.meta.url),
}));

export const version = typeof WSSHARE_VERSION === 'string' ? WSSHARE_VERSION : 'dev';
export { SharedWebSocket };
