// graphql-ws's browser client, bundled as an app would bundle it: the page
// gets createClient as a global.
import { createClient } from 'graphql-ws/client';

window.createClient = createClient;
