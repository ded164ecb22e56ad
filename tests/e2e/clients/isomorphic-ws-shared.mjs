// Stands in for isomorphic-ws when ccat-api is bundled for the browser: the
// WebSocket class ccat-api constructs becomes wsshare's, so every tab's client
// rides on one server connection. The page loads /dist/wsshare.js first (the
// global WsShare), whose worker and wasm are found next to it.
//
// reconnect: true, because the Cat's chat keeps no state per connection: a
// lost server socket is opened again under the clients, which see no close.
// Without it a lost connection would close each tab's socket, as a plain
// WebSocket's would, and ccat-api would start its own retries.
const { SharedWebSocket } = globalThis.WsShare;

export default SharedWebSocket.configure({ key: 'ccat-api', reconnect: true });
