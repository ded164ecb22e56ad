// The classic-script entry (dist/wsshare.js): defines the global WsShare and
// finds the worker, the wasm and the fallback leader next to itself, wherever the page loaded it from.

import { SharedWebSocket, setDefaultUrls } from './shared-websocket.js';

const base = (document.currentScript && document.currentScript.src) || location.href;

setDefaultUrls(() => ({
  workerUrl: new URL('wsshare-worker.js', base).href,
  wasmUrl: new URL('wsshare.wasm', base).href,
  leaderUrl: new URL('wsshare-leader.mjs', base).href,
}));

self.WsShare = {
  SharedWebSocket,
  version: typeof WSSHARE_VERSION === 'string' ? WSSHARE_VERSION : 'dev',
};
