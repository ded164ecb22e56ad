// The peers wsshare is set beside: two libraries a page could share one
// server socket between its tabs with instead, each used the way its README
// shows, behind the WebSocket-like face every bench variant has (open and
// message events, send, readyState, isLeader). The elected tab holds the
// socket; nothing is added to what the libraries do when a leader goes:
// frames they drop are theirs, and the failover scenario counts them.
//   bc: broadcast-channel's BroadcastChannel and createLeaderElection. The
//       leader posts every server frame on the channel (a post per frame);
//       other tabs post their sends, which the leader puts on its socket.
//   te: tab-election's Tab. The leader's API sends on its socket and is
//       reached with tab.call; server frames go to every tab with tab.send;
//       the leader's state tells the tabs its socket is open.
// The libraries come bundled by the runner (tests/bench/peers.mjs).

import { BroadcastChannel, createLeaderElection, Tab, To } from '/lib/peers.mjs';

class PeerSocket extends EventTarget {
  constructor() {
    super();
    this.readyState = 0;
  }

  // Once: the tab can send, as it knows a leader whose socket is open.
  opened() {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  deliver(data) {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  // As WebSocket does before `open`: the app is told, nothing is sent.
  refuseUnlessOpen() {
    if (this.readyState !== 1) throw new DOMException('not open', 'InvalidStateError');
  }
}

export class BcSocket extends PeerSocket {
  constructor(url) {
    super();
    this.url = url;
    this.isLeader = false;
    this.ws = null;
    this.early = []; // sends the leader took before its socket opened
    this.channel = new BroadcastChannel(`bench-bc/${url}`);
    this.channel.addEventListener('message', (m) => this.onPost(m));
    this.elector = createLeaderElection(this.channel);
    this.elector.awaitLeadership().then(() => this.lead());
    // A leader already open answers with { open }; one still opening
    // posts it when it opens.
    this.channel.postMessage({ hello: true });
  }

  onPost(m) {
    if (m.frame !== undefined) this.deliver(m.frame);
    else if (m.up !== undefined) {
      if (this.isLeader) this.toServer(m.up);
    } else if (m.open) this.opened();
    else if (m.hello && this.ws && this.ws.readyState === WebSocket.OPEN) this.channel.postMessage({ open: true });
  }

  lead() {
    this.isLeader = true;
    const ws = new WebSocket(this.url);
    ws.onopen = () => {
      for (const data of this.early) ws.send(data);
      this.early = [];
      this.channel.postMessage({ open: true });
      this.opened();
    };
    ws.onmessage = ({ data }) => {
      this.channel.postMessage({ frame: data });
      this.deliver(data);
    };
    this.ws = ws;
  }

  toServer(data) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
    else this.early.push(data);
  }

  send(data) {
    this.refuseUnlessOpen();
    if (this.isLeader) this.toServer(data);
    else this.channel.postMessage({ up: data });
  }
}

export class TeSocket extends PeerSocket {
  constructor(url) {
    super();
    this.tab = new Tab(`bench-te/${url}`);
    this.tab.addEventListener('message', (e) => this.deliver(e.data));
    this.tab.addEventListener('state', (e) => {
      if (e.data && e.data.open) this.opened();
    });
    // Calls wait in the library until the API is returned: once the socket is open.
    this.tab.waitForLeadership(() => new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        this.tab.setState({ open: true });
        resolve({ send: (data) => ws.send(data) });
      };
      ws.onmessage = ({ data }) => this.tab.send(data, To.All);
    }));
  }

  get isLeader() {
    return this.tab.isLeader;
  }

  send(data) {
    this.refuseUnlessOpen();
    // The result says nothing the bench needs; a call the library gives up
    // on is a frame the server never gets, which the failover counts.
    this.tab.call('send', data).catch(() => {});
  }
}
