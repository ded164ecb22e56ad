// A loaded machine of the bench's own: Node child processes that spin on the
// CPU while scenarios run, started and ended by their pid. How much CPU they
// took is read back from /proc, so a report says what load it ran under.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { atExit } from '../e2e/engines/cleanup.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the bench runs on

// CPU seconds a process has used (user + system), or null where /proc has none.
function cpuSeconds(pid) {
  try {
    // The fields after the command's name, which may hold spaces: utime and stime are 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

// Starts n spinning processes; stop() ends them and says what they burned.
export function startBurner(n = os.cpus().length) {
  const started = Date.now();
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  const kill = () => children.forEach((c) => { if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });
  // Ended with the bench, however it ends.
  const forget = atExit(kill);
  return {
    pids: children.map((c) => c.pid),
    async stop() {
      const cpu = children.map((c) => cpuSeconds(c.pid));
      const seconds = (Date.now() - started) / 1000;
      const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null
        ? Promise.resolve() : new Promise((resolve) => c.once('exit', resolve))));
      kill();
      await Promise.all(exited);
      forget();
      // The share of a core each burner had, on average, while it ran.
      const share = cpu.every((x) => x !== null) ? cpu.map((x) => x / seconds) : null;
      return { processes: n, seconds, cpuShare: share };
    },
  };
}

// Runs fn with the burner spinning, and always ends it.
export async function underLoad(n, fn) {
  const burner = startBurner(n);
  let result;
  try {
    result = await fn(burner);
  } finally {
    result = { result, burner: await burner.stop() };
  }
  return result;
}

// Fan-out on the loaded machine, wsshare against the batching relay at each
// tab count of cfg.loaded.rounds, as the quiet fan-out runs it (rounds
// rotated, cfg.loaded.frames a round); the burner spins throughout.
export async function loaded(env) {
  const { rounds, processes, frames, pushes } = env.cfg.loaded;
  const cfg = { ...env.cfg, fanout: { frames, pushes, rounds } };
  const progress = (what, outcome) => env.progress(`loaded (${processes} spinning processes) · ${what}`, outcome);
  const { fanout } = await import('./scenarios.mjs');
  const { result, burner } = await underLoad(processes, async () => {
    const out = {};
    for (const n of Object.keys(rounds)) out[n] = await fanout({ ...env, cfg, progress }, Number(n));
    return out;
  });
  return { fanout: result, burner };
}
