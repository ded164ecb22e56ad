// Baseline relay, worker side: the obvious pure-JS SharedWorker that holds one
// WebSocket and relays over one BroadcastChannel. ?batch=0 posts each server
// frame on its own; ?batch=1 gathers the frames of a task into one post.
const batch = new URL(location.href).searchParams.get('batch') === '1';
let ws = null;
let bus = null;
const ports = [];
let pending = [];
// A task after the frames already queued: what "the frames of one task" means.
const tick = new MessageChannel();
tick.port1.onmessage = () => {
  bus.postMessage(pending);
  pending = [];
};

self.onconnect = (e) => {
  const port = e.ports[0];
  port.onmessage = ({ data: url }) => {
    if (!ws) {
      bus = new BroadcastChannel(`relay/${batch}/${url}`);
      // Tabs post { up: frame } (naive) or { up: [frames] } (batching).
      bus.onmessage = ({ data }) => {
        if (!batch) ws.send(data.up);
        else for (const f of data.up) ws.send(f);
      };
      ws = new WebSocket(url);
      ws.onopen = () => ports.forEach((p) => p.postMessage('open'));
      ws.onmessage = ({ data }) => {
        if (!batch) bus.postMessage(data);
        else if (pending.push(data) === 1) tick.port2.postMessage(0);
      };
    }
    ports.push(port);
    if (ws.readyState === WebSocket.OPEN) port.postMessage('open');
  };
};
