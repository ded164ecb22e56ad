// The page's side of the placement scenario: holds bare-socket.js's socket in
// a SharedWorker, a dedicated Worker or the page itself, and hands the runner
// what it says.

const SCRIPT = '/bench/bare-socket.js';
let expect = null;
let waiter = null; // resolves on the next message from the socket's side
let last = null;

function heard(m) {
  last = m;
  if (waiter) {
    const w = waiter;
    waiter = null;
    w(m);
  }
}

const next = () => new Promise((resolve) => { waiter = resolve; });

async function expectOrFail(what) {
  const m = await next();
  if (m.error || !m[what]) throw new Error(m.error || `expected ${what}, got ${JSON.stringify(m)}`);
}

// Opens the socket where `where` says (shared, dedicated, page); resolves
// once it is open.
export async function open(where, url) {
  const opened = expectOrFail('open');
  if (where === 'page') {
    await import(SCRIPT);
    const arm = self.bareSocket.receive(url, heard);
    expect = (n) => {
      arm(n);
      return Promise.resolve();
    };
  } else {
    const port = where === 'shared' ? new SharedWorker(SCRIPT).port : new Worker(SCRIPT);
    port.onmessage = ({ data }) => heard(data);
    port.postMessage({ url });
    expect = (n) => {
      const armed = expectOrFail('armed');
      port.postMessage({ expect: n });
      return armed;
    };
  }
  await opened;
}

// Starts counting n frames; resolves once the socket's side counts.
export async function arm(n) {
  await expect(n);
  last = null;
}

// Resolves with the count once the n-th frame arrived, or with what went wrong.
export function done() {
  return last ? Promise.resolve(last) : next();
}
