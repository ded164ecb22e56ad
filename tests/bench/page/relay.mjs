// Baseline relay, tab side: a WebSocket-like object (open and message events,
// send) over relay-worker.js. It dispatches real MessageEvents, as a drop-in
// replacement must, so the comparison with wsshare is about the relaying.
export class RelaySocket extends EventTarget {
  constructor(url, batch) {
    super();
    this.readyState = 0;
    this.batch = batch;
    this.out = [];
    this.posts = 0; // server-frame posts received, for the report's frames per post
    this.bus = new BroadcastChannel(`relay/${batch}/${url}`);
    this.bus.onmessage = ({ data }) => {
      if (typeof data === 'string') this.deliver(data);
      else if (Array.isArray(data)) data.forEach((d) => this.deliver(d));
      else return;
      this.posts++;
    };
    const worker = new SharedWorker(`/bench/relay-worker.js?batch=${batch ? 1 : 0}`);
    worker.port.onmessage = () => {
      this.readyState = 1;
      this.dispatchEvent(new Event('open'));
    };
    worker.port.postMessage(url);
    this.worker = worker;
  }

  deliver(data) {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  send(data) {
    if (!this.batch) {
      this.bus.postMessage({ up: data });
    } else if (this.out.push(data) === 1) {
      queueMicrotask(() => {
        this.bus.postMessage({ up: this.out });
        this.out = [];
      });
    }
  }
}
