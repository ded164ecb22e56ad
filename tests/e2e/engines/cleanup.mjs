// What the engines started, ended when the test process ends, however it ends:
// normally, on an exception that skips after(), or on a signal. Exit hooks run
// synchronously, the latest first, so a browser dies before its profile goes.

const hooks = new Set();

process.on('exit', () => {
  for (const hook of [...hooks].reverse()) hook();
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.once(signal, () => process.exit(code));
}

// Registers fn for the process's exit; the returned function unregisters it.
export function atExit(fn) {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

// Signals a process group we started (its leader's pid); gone already, or
// never started (no pid), is fine.
export function signalGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}
