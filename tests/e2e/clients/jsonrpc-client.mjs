// json-rpc-2.0's client, bundled as an app would bundle it: the page gets
// JSONRPCClient as a global.
import { JSONRPCClient } from 'json-rpc-2.0';

window.JSONRPCClient = JSONRPCClient;
