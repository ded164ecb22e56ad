// The Cheshire Cat's own client, ccat-api, bundled as an app would bundle it:
// the page gets CatClient as a global. Which WebSocket it uses is decided
// when it is bundled, through its import of isomorphic-ws.
import { CatClient } from 'ccat-api';

window.CatClient = CatClient;
