// A strict TypeScript app using every part of the public contract the way
// the README and docs/ state it. `tsc --noEmit` must accept it; each @ts-expect-error
// line must be refused, so a loosened declaration (an `any`) fails the check.

import { SharedWebSocket, version } from 'wsshare';
import type {
  LeaderChangeEvent, LeaderStats, ReconnectingEvent, ReconnectOptions, ResolvedMode,
  SharedWebSocketMode, SharedWebSocketOptions, SharedWebSocketProtocol, SharedWebSocketStats,
} from 'wsshare';

// What code written for the browser's WebSocket uses of it.
type SocketLikeBase = Pick<WebSocket, 'url' | 'protocol' | 'extensions' | 'readyState' | 'bufferedAmount' | 'binaryType' | 'send' | 'close'>;

// True only when A and B are the same type; `any` matches nothing but itself.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function is<A, B>(proof: Same<A, B>): void { void proof; }

is<typeof version, string>(true);

// ---- construction: url, protocols and every option
const reconnect: ReconnectOptions = { minDelay: 250, maxDelay: 30000, factor: 2, maxRetries: Infinity, minUptime: 5000, stopOn: [4001] };
const options: SharedWebSocketOptions = {
  mode: 'auto',
  key: 'chat',
  workerUrl: new URL('./wsshare-worker.js', import.meta.url),
  wasmUrl: '/static/wsshare.wasm',
  reconnect,
  maxQueuedBytes: 1 << 20,
  maxQueuedFrames: 1000,
  maxMessageBytes: 16 << 20,
  debug: false,
};
const modes: SharedWebSocketMode[] = ['auto', 'sharedworker', 'election', 'direct'];
const ws = new SharedWebSocket('wss://example.com/ws/alice', ['chat'], options);
new SharedWebSocket(new URL('wss://example.com/ws/bob'), 'chat');
new SharedWebSocket('wss://example.com/ws/carol');
for (const mode of modes) new SharedWebSocket('wss://example.com/ws', [], { mode });
// @ts-expect-error an unknown mode is refused
new SharedWebSocket('wss://example.com/ws', [], { mode: 'shared' });
// @ts-expect-error a misspelt option is refused
new SharedWebSocket('wss://example.com/ws', [], { maxQueueBytes: 1 });
// @ts-expect-error reconnect takes numbers
new SharedWebSocket('wss://example.com/ws', [], { reconnect: { minDelay: '1s' } });
// No retries at all: the first close is final.
new SharedWebSocket('wss://example.com/ws', [], { reconnect: false });
// A protocol profile, forced; or none at all.
const protocols: SharedWebSocketProtocol[] = ['auto', 'none', 'graphql-transport-ws', 'jsonrpc'];
for (const protocol of protocols) new SharedWebSocket('wss://example.com/graphql', 'graphql-transport-ws', { protocol });
// @ts-expect-error a protocol without a profile is refused
new SharedWebSocket('wss://example.com/ws', [], { protocol: 'amqp' });

// A class with defaults, for libraries that construct the socket themselves.
const Configured = SharedWebSocket.configure({ key: 'chat', mode: 'sharedworker' });
const made: SharedWebSocket = new Configured('wss://example.com/ws');
is<typeof Configured.OPEN, 1>(true);
const impl: { new (url: string, protocols?: string | string[]): SocketLikeBase } = Configured;
void made;
void impl;
// @ts-expect-error configure takes the same options
SharedWebSocket.configure({ mode: 'shared' });

// ---- the WebSocket surface
is<typeof SharedWebSocket.CONNECTING, 0>(true);
is<typeof SharedWebSocket.OPEN, 1>(true);
is<typeof SharedWebSocket.CLOSING, 2>(true);
is<typeof SharedWebSocket.CLOSED, 3>(true);
is<typeof ws.OPEN, 1>(true);
is<typeof ws.url, string>(true);
is<typeof ws.protocol, string>(true);
is<typeof ws.extensions, string>(true);
is<typeof ws.readyState, number>(true);
is<typeof ws.bufferedAmount, number>(true);
is<typeof ws.binaryType, BinaryType>(true);
ws.binaryType = 'arraybuffer';
// @ts-expect-error readyState is read-only
ws.readyState = 1;

ws.send('text');
ws.send(new ArrayBuffer(8));
ws.send(new Uint8Array(8));
ws.send(new DataView(new ArrayBuffer(8)));
ws.send(new Blob(['x']));
// @ts-expect-error a number is not a frame
ws.send(42);
ws.close();
ws.close(1000);
ws.close(4000, 'bye');

// It drops into code written for the browser's WebSocket.
const plain: SocketLikeBase = ws;
void plain;

// ---- events: handlers and listeners see the right event types
ws.onopen = (e) => { is<typeof e, Event>(true); };
ws.onmessage = function (e) {
  is<typeof e, MessageEvent>(true);
  is<typeof this, SharedWebSocket>(true);
};
ws.onerror = (e) => { is<typeof e, Event>(true); };
ws.onclose = (e) => {
  is<typeof e, CloseEvent>(true);
  const seen: [number, string, boolean] = [e.code, e.reason, e.wasClean];
  void seen;
};
ws.onleaderchange = (e) => { is<typeof e.isLeader, boolean>(true); };
ws.onreconnecting = (e) => {
  is<typeof e.attempt, number>(true);
  is<typeof e.delay, number>(true);
};
ws.onopen = null;
ws.addEventListener('message', (e) => { is<typeof e, MessageEvent>(true); });
ws.addEventListener('close', (e) => { is<typeof e, CloseEvent>(true); }, { once: true });
ws.addEventListener('leaderchange', (e) => { is<typeof e, LeaderChangeEvent>(true); });
ws.addEventListener('reconnecting', (e) => { is<typeof e, ReconnectingEvent>(true); });
const onReconnect = (e: ReconnectingEvent): void => { void e.attempt; };
ws.addEventListener('reconnecting', onReconnect);
ws.removeEventListener('reconnecting', onReconnect);
// @ts-expect-error a leaderchange event has no attempt count
ws.addEventListener('leaderchange', (e) => e.attempt);

// ---- extensions: mode, isLeader, stats()
is<typeof ws.mode, ResolvedMode>(true);
is<typeof ws.isLeader, boolean>(true);
// @ts-expect-error 'auto' is never the resolved mode
const unresolved: typeof ws.mode = 'auto';
void unresolved;

async function report(): Promise<number> {
  const s = await ws.stats();
  is<typeof s, SharedWebSocketStats>(true);
  is<typeof s.mode, ResolvedMode>(true);
  is<typeof s.isLeader, boolean>(true);
  const tab: number[] = [s.tab.id, s.tab.readyState, s.tab.bufferedAmount, s.tab.unacked, s.tab.sent, s.tab.received];
  // @ts-expect-error the leader's part is null in direct mode or when it did not answer
  void s.leader.tabs;
  if (s.leader === null) return tab.length;
  const l: LeaderStats = s.leader;
  is<typeof l.version, string>(true);
  is<typeof l.socket, 'idle' | 'connecting' | 'open' | 'closing' | 'reconnecting'>(true);
  const counts: number[] = [
    l.tabs, l.framesToServer, l.bytesToServer, l.framesFromServer, l.bytesFromServer, l.controlPosts,
    l.dataPosts, l.queuedFrames, l.queuedBytes, l.duplicates, l.errors, l.opens, l.reconnects, l.attempt, l.tabsJoined,
    l.tabsLeft, l.tabsLost, l.outOfMemory, l.uptimeMs,
    l.rejected.malformed, l.rejected.version, l.rejected.type, l.rejected.size, l.rejected.unknownTab, l.rejected.replay, l.rejected.otherLeader, l.rejected.id,
  ];
  return counts.reduce((a, b) => a + b, 0);
}
void report();
