// isomorphic-ws for ccat-api on wsshare's defaults: no `reconnect`. A lost
// server connection then closes each tab's socket as a plain WebSocket's
// would, and ccat-api's own retries open new ones, which share again.
const { SharedWebSocket } = globalThis.WsShare;

export default SharedWebSocket.configure({ key: 'ccat-api-default' });
