// A bare WebSocket receiving the fan-out's frames, with no wsshare and no
// relay: what the browser itself allows a socket held in a SharedWorker, in a
// dedicated Worker or in a page (the placement scenario). One file for all
// three, so the code under each socket is the same: loaded as a SharedWorker
// or a Worker it serves its port; imported by a page it puts
// bareSocket.receive on self. It keeps to strict mode so that both work.

(() => {
  const epoch = () => performance.timeOrigin + performance.now();

  // Opens a socket to url; tell(message) says {open}, {error} and, when the
  // n-th frame of an expect(n) arrives, the count (every frame's number is
  // checked, as the bench page does) and when it arrived, in epoch ms.
  function receive(url, tell) {
    const got = { count: 0, expect: 0, disorder: 0, doneAt: 0 };
    const ws = new WebSocket(url);
    ws.onopen = () => tell({ open: true });
    ws.onerror = () => tell({ error: `the socket to ${url} failed` });
    ws.onclose = () => { if (got.count < got.expect) tell({ error: `the socket closed after ${got.count} of ${got.expect} frames` }); };
    ws.onmessage = (e) => {
      got.count++;
      if (+e.data.slice(0, 8) !== got.count) got.disorder++;
      if (got.count === got.expect) {
        got.doneAt = epoch();
        tell({ ...got });
      }
    };
    return (n) => Object.assign(got, { count: 0, expect: n, disorder: 0, doneAt: 0 });
  }

  // A worker's side: { url } opens, { expect } starts counting and says so.
  const serve = (port) => {
    let expect = null;
    port.onmessage = ({ data }) => {
      if (data.url) expect = receive(data.url, (m) => port.postMessage(m));
      else if (data.expect) {
        expect(data.expect);
        port.postMessage({ armed: true }); // frames sent after this are counted
      }
    };
  };

  if (typeof self.WorkerGlobalScope === 'undefined') self.bareSocket = { receive };
  else if ('onconnect' in self) self.onconnect = (e) => serve(e.ports[0]);
  else serve(self);
})();
