// The demo page's code: a Cheshire Cat chat over SharedWebSocket, and a panel
// showing this tab's connection (public API only: mode, isLeader, stats() and
// the leaderchange/reconnecting events) beside the emulator's own count.

import { SharedWebSocket } from '../dist/wsshare.mjs';

const params = new URLSearchParams(location.search);
const user = params.get('user') || 'user';
const mode = params.get('mode') || 'auto';
const token = params.get('token');
// A real Cat lives elsewhere (?server=ws://host:1865); by default the emulator
// that served this page is the Cat.
const serverBase = (params.get('server') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`).replace(/\/+$/, '');
const displayUrl = `${serverBase}/ws/${encodeURIComponent(user)}`; // never shows the token
const socketUrl = `${displayUrl}${token ? `?token=${encodeURIComponent(token)}` : ''}`;

const STATE_NAMES = ['connecting', 'open', 'closing', 'closed'];
const MODE_NAMES = { sharedworker: 'SharedWorker', election: 'elected tab', direct: 'plain WebSocket' };
// The mode links' words, for the mode asked for in the URL.
const MODE_LINKS = { auto: 'Shared', election: 'Shared, elected tab', direct: 'Plain WebSocket' };
// Like the Cat's own client: reconnect after every close, the delay growing
// while attempts fail and back to the first one once a connection opens.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 10000;
const REFRESH_MS = 1000;
const STATS_WAIT_MS = 3000; // the emulator's /stats; a hung request must not stall the panel
const TOAST_MS = 6000;
const EVENTS_SHOWN = 8;
const CLOSE_CHECK_MS = 500;
const AWAITING_KEPT = 50;
const SERVER_FIGURES = ['srv-connections', 'srv-accepted', 'srv-kicks'];

const $ = (id) => document.getElementById(id);
const log = $('log');
const input = $('text');

let socket = null;
let failedAttempts = 0;
let reconnects = 0;
let retryAt = 0; // when this page reconnects after a close
let leaderRetry = null; // { attempt, at } while the leader reconnects the shared socket
let everOpened = false;
let streaming = null; // the Cat bubble a reply is streaming into
// Texts this tab sent and has not seen answered: a reply to anything else was
// typed in another tab, and that tab's words are shown from the reply's `why`.
const awaiting = [];

// ---------------------------------------------------------------- rendering

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function addEntry(kind, who, text) {
  $('hint')?.remove();
  const entry = el('li', `entry ${kind}`);
  if (who) entry.append(el('span', 'who', who));
  const body = el('p', 'body', text);
  entry.append(body);
  log.append(entry);
  log.scrollTop = log.scrollHeight;
  return { entry, body };
}

function toast(kind, text) {
  const node = el('div', `toast ${kind}`);
  node.append(el('span', '', text));
  const dismiss = el('button', 'dismiss', '×');
  dismiss.type = 'button';
  dismiss.setAttribute('aria-label', 'Dismiss');
  dismiss.addEventListener('click', () => node.remove());
  node.append(dismiss);
  $('toasts').append(node);
  setTimeout(() => node.remove(), TOAST_MS);
}

function noteEvent(text, kind = '') {
  const item = el('li', kind);
  item.append(el('time', '', new Date().toLocaleTimeString([], { hour12: false })), ` ${text}`);
  const list = $('events');
  list.prepend(item);
  while (list.children.length > EVENTS_SHOWN) list.lastChild.remove();
}

function setFigure(id, text, level) {
  const node = $(id);
  node.textContent = text;
  if (level) node.dataset.level = level;
  else delete node.dataset.level;
}

// ---------------------------------------------------------------- chat frames

function onFrame(frame) {
  switch (frame.type) {
    case 'chat_token':
      streaming ??= addEntry('cat streaming', 'Cheshire Cat', '');
      streaming.body.textContent += frame.content;
      log.scrollTop = log.scrollHeight;
      break;
    case 'chat':
      onReply(frame);
      break;
    case 'notification':
      toast('info', frame.content);
      break;
    case 'error':
      addEntry('error', 'Cat error', `${frame.name}: ${frame.description}`);
      break;
    default:
      addEntry('error', 'Unknown frame', JSON.stringify(frame));
  }
}

function onReply(frame) {
  const said = frame.why?.input;
  const mine = awaiting.indexOf(said);
  const bubble = streaming ?? addEntry('cat', 'Cheshire Cat', '');
  if (mine >= 0) awaiting.splice(mine, 1);
  else if (typeof said === 'string') bubble.entry.before(addEntry('me other', 'You, in another tab', said).entry);
  bubble.entry.className = 'entry cat';
  bubble.body.textContent = frame.content ?? frame.text;
  streaming = null;
  log.scrollTop = log.scrollHeight;
}

function parseFrame(data) {
  try {
    return JSON.parse(data);
  } catch {
    return { type: 'error', name: 'Not JSON', description: String(data).slice(0, 200) };
  }
}

// ---------------------------------------------------------------- the socket

function connect() {
  let ws;
  try {
    // The Cat's chat keeps no state per connection: the shared socket may be
    // made again under the tabs without them seeing it.
    ws = new SharedWebSocket(socketUrl, undefined, { mode, reconnect: true });
  } catch (err) {
    // A bad ?server= or a mode this build lacks throws again on every try.
    addEntry('error', 'Cannot connect', `${err.name}: ${err.message}`);
    setConnection('closed', `Cannot connect in mode '${mode}': ${err.message}`);
    setFigure('st-mode', `${mode} (unavailable)`, 'bad');
    $('explain').textContent = `This page cannot open its socket (${err.message}). Pick another mode above, ` +
      'or check the ?server= address.';
    return;
  }
  socket = ws;
  ws.addEventListener('open', () => {
    failedAttempts = 0;
    leaderRetry = null;
    if (!everOpened) addEntry('info', '', `Connected as '${user}'.`);
    everOpened = true;
    noteEvent('open', 'good');
    refresh();
  });
  ws.addEventListener('message', (event) => onFrame(parseFrame(event.data)));
  ws.addEventListener('error', (event) => {
    addEntry('error', 'Socket error', event.message || 'the connection failed');
    noteEvent('error', 'bad');
  });
  ws.addEventListener('reconnecting', (event) => {
    reconnects++;
    // A first connection that fails is retried by the leader too: say so once.
    if (!everOpened && event.attempt === 1) {
      addEntry('error', 'Cannot connect', 'the server refused the connection or cannot be reached; retrying');
    }
    leaderRetry = { attempt: event.attempt, at: Date.now() + event.delay };
    noteEvent(`reconnecting: attempt ${event.attempt} in ${formatDelay(event.delay)}`, 'warn');
    refresh();
  });
  ws.addEventListener('leaderchange', (event) => {
    noteEvent(event.isLeader ? 'this tab leads now' : 'another tab leads now');
    refresh();
  });
  ws.addEventListener('close', (event) => {
    if (streaming) streaming.entry.classList.add('cut');
    streaming = null;
    leaderRetry = null;
    noteEvent(`closed, code ${event.code}${event.reason ? ` (${event.reason})` : ''}`, 'bad');
    const delay = Math.min(RETRY_FIRST_MS * 2 ** failedAttempts, RETRY_MAX_MS);
    failedAttempts++;
    retryAt = Date.now() + delay;
    setTimeout(() => {
      reconnects++;
      connect();
    }, delay);
    refresh();
  });
  refresh();
}

const formatDelay = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

// The strip above the chat: a colour and a sentence for the socket's state,
// so the flicker of a kicked socket is visible at a glance.
function setConnection(phase, text) {
  document.body.dataset.socket = phase;
  $('connection').textContent = text;
}

// ---------------------------------------------------------------- the panel

function leaderText() {
  if (socket.mode === 'sharedworker') return 'the worker';
  if (socket.mode === 'direct') return 'this tab, alone';
  return socket.isLeader ? 'this tab' : 'another tab';
}

function explain() {
  if (socket.mode === 'direct') {
    return `Each tab of '${user}' opens its own WebSocket. The Cat keeps one per user and closes the older: ` +
      'that tab reconnects and kicks the other. Watch the kicks climb.';
  }
  return `Every tab of '${user}' shares one WebSocket. Open more tabs: the server still counts one ` +
    'connection and no kicks.';
}

function render() {
  if (!socket) return;
  const until = (at) => formatDelay(Math.max(0, at - Date.now()));
  let phase = STATE_NAMES[socket.readyState];
  let sentence = phase === 'open' ? `Connected to ${displayUrl}` : 'Connecting…';
  if (phase === 'closed') sentence = `Disconnected. Reconnecting in ${until(retryAt)}…`;
  if (leaderRetry && (phase === 'open' || phase === 'connecting')) {
    sentence = `${phase === 'open' ? 'The server went away' : 'Cannot connect'}. ` +
      `Reconnecting, attempt ${leaderRetry.attempt} in ${until(leaderRetry.at)}…`;
    phase = 'reconnecting';
  }
  setConnection(phase, sentence);
  setFigure('st-mode', MODE_NAMES[socket.mode] ?? socket.mode);
  setFigure('st-leader', leaderText());
  setFigure('st-socket', phase, { open: 'good', closed: 'bad' }[phase] ?? 'warn');
  setFigure('st-reconnects', String(reconnects), reconnects > 0 ? 'warn' : '');
  $('explain').textContent = explain();
  $('close-leader').hidden = socket.mode !== 'election';
}

async function refreshTab() {
  if (!socket) return;
  const s = await socket.stats();
  setFigure('st-tabs', s.leader ? String(s.leader.tabs) : socket.mode === 'direct' ? '1, no sharing' : '—');
  setFigure('st-frames', `${s.tab.received} / ${s.tab.sent}`);
}

// The emulator that served this page counts what the server sees; a real Cat
// elsewhere has no such hook.
const serverHost = (() => {
  try {
    return new URL(serverBase).host;
  } catch {
    return serverBase;
  }
})();
const statsUrl = serverHost === location.host ? `/stats?user=${encodeURIComponent(user)}` : null;

async function fetchServerStats() {
  const res = await fetch(statsUrl, { cache: 'no-store', signal: AbortSignal.timeout(STATS_WAIT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

// The counts since this mode was chosen: who tried the plain WebSocket first
// and then a shared mode reads the shared mode's kicks, not the earlier ones.
// The tabs of one user share it (localStorage); loading a tab in another mode
// than the last one chosen starts it again, and so does a server that
// restarted (its counts fell below it).
const SINCE_KEY = `wsshare-demo/${user}/since`;
let since = { mode, accepted: 0, kicks: 0, at: Date.now() };

function saveSince(counts) {
  since = { mode, accepted: counts.accepted, kicks: counts.kicks, at: Date.now() };
  try {
    localStorage.setItem(SINCE_KEY, JSON.stringify(since));
  } catch (err) {
    console.debug('demo: the count since this mode was chosen stays in this tab:', err.message);
  }
  showSince();
}

function showSince() {
  const at = new Date(since.at).toLocaleTimeString([], { hour12: false });
  $('srv-since').textContent = `Opened and kicks count from ${at}, when ${MODE_LINKS[mode] ?? mode} was chosen.`;
}

async function startCountingSince() {
  if (!statsUrl) return;
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(SINCE_KEY));
  } catch (err) {
    console.debug('demo: no count since this mode was chosen to read:', err.message);
  }
  if (saved?.mode === mode && Number.isInteger(saved.accepted) && Number.isInteger(saved.kicks)) {
    since = saved;
    showSince();
    return;
  }
  try {
    saveSince(await fetchServerStats());
  } catch (err) {
    showServerNote(`The emulator's /stats did not answer (${err.message}).`);
  }
}

async function refreshServer() {
  if (!statsUrl) return;
  try {
    const s = await fetchServerStats();
    if (s.accepted < since.accepted || s.kicks < since.kicks) saveSince({ accepted: 0, kicks: 0 });
    const accepted = s.accepted - since.accepted;
    const kicks = s.kicks - since.kicks;
    setFigure('srv-connections', String(s.connections), s.connections === 1 ? 'good' : s.connections > 1 ? 'bad' : 'warn');
    setFigure('srv-accepted', String(accepted));
    setFigure('srv-kicks', String(kicks), kicks === 0 ? 'good' : 'bad');
    $('srv-note').hidden = true;
  } catch (err) {
    for (const id of SERVER_FIGURES) setFigure(id, '?', 'warn');
    showServerNote(`The emulator's /stats did not answer (${err.message}).`);
  }
}

function showServerNote(text) {
  const note = $('srv-note');
  note.textContent = text;
  note.hidden = false;
}

// One refresh at a time; a change that comes in meanwhile gets one more, so
// the panel follows events at once instead of at the next tick.
let refreshing = false;
let refreshAgain = false;
async function refresh() {
  render();
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      await Promise.all([refreshTab(), refreshServer()]);
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

// ---------------------------------------------------------------- controls

function setupModeLinks() {
  for (const link of document.querySelectorAll('.modes a')) {
    const next = new URLSearchParams(params);
    next.set('mode', link.dataset.mode);
    link.href = `?${next}`;
    if (link.dataset.mode === mode) link.setAttribute('aria-current', 'page');
  }
}

// The demo's own channel, apart from wsshare's: any tab can ask the tab that
// leads (election mode) to close itself, to show the failover.
const control = new BroadcastChannel(`wsshare-demo/${user}`);

function closeIfLeader() {
  if (!socket?.isLeader || socket.mode !== 'election') return;
  window.close();
  // Browsers let a script close only the tabs a script opened.
  setTimeout(() => {
    if (window.closed) return;
    toast('error', 'This tab leads but was not opened by the demo, so it cannot close itself: close it by hand.');
    control.postMessage({ t: 'cannot-close' });
  }, CLOSE_CHECK_MS);
}

control.addEventListener('message', (event) => {
  if (event.data?.t === 'close-leader') closeIfLeader();
  else if (event.data?.t === 'cannot-close') {
    toast('error', 'The leader tab was not opened by the demo, so it cannot close itself: close it by hand.');
  }
});

$('close-leader').addEventListener('click', () => {
  if (socket?.isLeader) closeIfLeader();
  else control.postMessage({ t: 'close-leader' });
});

$('open-tab').addEventListener('click', () => {
  if (!window.open(location.href, '_blank')) toast('error', 'The browser blocked the new tab.');
});

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (!socket || socket.readyState !== SharedWebSocket.OPEN) {
    addEntry('error', 'Not sent', 'The socket is not open; try again in a moment.');
    return;
  }
  socket.send(JSON.stringify({ text }));
  awaiting.push(text);
  // Replies a kick sent elsewhere never come back here: forget the oldest.
  if (awaiting.length > AWAITING_KEPT) awaiting.shift();
  addEntry('me', 'You', text);
  input.value = '';
});

$('srv-user').textContent = `· ${user}`;
if (!statsUrl) {
  for (const id of SERVER_FIGURES) setFigure(id, 'n/a');
  showServerNote(`Connected to ${serverHost}: a real Cat has no /stats, so only the emulator's figures can be shown.`);
}
setupModeLinks();
await startCountingSince();
connect();
setInterval(refresh, REFRESH_MS);
