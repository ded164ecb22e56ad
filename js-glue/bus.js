// The bus between tabs and the leader: channel and lock names, derived from a
// hash of what decides sharing (url, protocols, key) so neither the URL nor a
// token ever appears in a name, and the message shapes both sides use.

export const BUS_VERSION = 1;

// Data messages are objects: tab -> leader { v, t: 's', tab, s, f: [payload] },
// leader -> tabs { v, t: 'd', s, f: [payload], o?: [tab] } (o: the tab each
// frame is for, 0 for every tab; absent when all are for every tab), and a
// tab's kept frames for a new leader { v, t: 'r', tab, q: [seq], m: [mark],
// f: [payload] }. Everything else on the bus is a control envelope: JSON
// text, written and validated by the core.
export const TAB_FRAMES = 's';
export const SERVER_FRAMES = 'd';
export const TAB_KEPT = 'r';

// FNV-1a over UTF-16 code units, twice with different offsets: 64 bits of
// spread is plenty to keep unrelated sockets apart, and it needs no async
// crypto (which insecure contexts lack).
function fnv(text, seed) {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function sharingKey(url, protocols, key) {
  const text = JSON.stringify([url, protocols, key == null ? '' : String(key)]);
  return fnv(text, 0x811c9dc5) + fnv(text, 0x6b43a9b5);
}

export function channelName(hash) {
  return `wsshare/${BUS_VERSION}/${hash}`;
}

export function tabLockName(hash, tab) {
  return `${channelName(hash)}/tab/${tab}`;
}

// A tab's road to its leader where it has no port of that leader's worker:
// a channel only those two open, so that no other tab receives a copy of
// what the tab sends, as every tab would on the bus.
export function roadName(hash, leader, tab) {
  return `${channelName(hash)}/to/${leader}/from/${tab}`;
}

// A random non-zero u32: ids of tabs and leaders.
export function randomId() {
  const a = new Uint32Array(1);
  do crypto.getRandomValues(a); while (a[0] === 0);
  return a[0];
}

// The channel of the election without Web Locks (wasm/src/election.c).
export function electChannelName(hash) {
  return `${channelName(hash)}/elect`;
}

// Held by a worker for its whole life: whoever waits on it learns of its end.
export function workerLockName(id) {
  return `wsshare/${BUS_VERSION}/worker/${id}`;
}

export function leaderLockName(hash) {
  return `${channelName(hash)}/leader`;
}

export function envelope(type, fields) {
  return JSON.stringify({ v: BUS_VERSION, t: type, ...fields });
}

// Bytes a frame takes on the wire: UTF-8 for text, size for binary.
export function byteLength(data) {
  if (typeof data === 'string') {
    let n = data.length;
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) n += 1;
      else if (c >= 0xd800 && c < 0xdc00 && (data.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n += 2; // a surrogate pair: 4 bytes for 2 units
        i++;
      } else n += 2; // the rest of the BMP, and lone surrogates sent as U+FFFD

    }
    return n;
  }
  return data.byteLength !== undefined ? data.byteLength : data.size;
}
