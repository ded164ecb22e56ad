// @stomp/stompjs's Client, bundled as an app would bundle it, a global of the
// page.
import { Client } from '@stomp/stompjs';

window.StompJs = { Client };
