// Counts, where a scenario asks (window.countBus set before the socket
// opens), the copies of other tabs' upstream posts this tab's
// BroadcastChannels receive: wsshare's frame batches ({t:'s'}, {t:'r'}) and
// the relays' ({up}). Loaded before any other script of the page, so every
// channel the page makes is one of these; one made while counting is off
// gets no listener, and costs nothing more than the browser's own.
(() => {
  const Native = self.BroadcastChannel;
  const copies = { posts: 0, frames: 0 };
  self.busCopies = copies;
  self.countBus = false;
  const count = (e) => {
    const d = e.data;
    if (!d || typeof d !== 'object') return;
    let n = 0;
    if ((d.t === 's' || d.t === 'r') && Array.isArray(d.f)) n = d.f.length;
    else if (d.up !== undefined) n = Array.isArray(d.up) ? d.up.length : 1;
    if (!n) return;
    copies.posts++;
    copies.frames += n;
  };
  self.BroadcastChannel = class extends Native {
    constructor(name) {
      super(name);
      if (self.countBus) this.addEventListener('message', count);
    }
  };
})();
