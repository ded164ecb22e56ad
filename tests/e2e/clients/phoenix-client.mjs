// phoenix's Socket, bundled as an app would bundle it: the page constructs
// it with wsshare's SharedWebSocket as its transport.
import { Socket } from 'phoenix';

window.Phoenix = { Socket };
