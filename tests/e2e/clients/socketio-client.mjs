// socket.io-client, bundled as an app would bundle it: the page gets io and
// the WebSocket transport (engine.io-client's, re-exported by socket.io-client),
// whose createSocket an app overrides to name its WebSocket.
import { WebSocket, io } from 'socket.io-client';

window.SocketIO = { WebSocket, io };
