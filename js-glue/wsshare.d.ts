// Type declarations for wsshare: a drop-in WebSocket whose one server socket
// is shared by every tab of the same url, protocols and key.

export type SharedWebSocketMode = 'auto' | 'sharedworker' | 'election' | 'direct';
export type ResolvedMode = 'sharedworker' | 'election' | 'direct';

/** How the leader retries a lost server socket. Retry n waits a random time
 * between minDelay and min(maxDelay, minDelay × factor^n). */
export interface ReconnectOptions {
  /** Shortest wait before a retry, in ms (default 1000). */
  minDelay?: number;
  /** Longest wait before a retry, in ms (default 30000). */
  maxDelay?: number;
  /** Growth of the longest wait per retry, at least 1 (default 2). */
  factor?: number;
  /** Retries in a row before the socket is given up (default Infinity: no limit). */
  maxRetries?: number;
  /** Ms a socket must stay open for the retry count to start over (default 5000). */
  minUptime?: number;
  /** Close codes after which no retry is made (default [1002, 1003, 1007, 1008, 1009, 1010]). */
  stopOn?: number[];
}

export type SharedWebSocketProtocol = 'auto' | 'none' | 'graphql-transport-ws' | 'graphql-ws' | 'actioncable-v1-json' | 'stomp' | 'socket.io' | 'phoenix' | 'jsonrpc';

export interface SharedWebSocketOptions {
  /** 'auto' (default): SharedWorker, else election, else direct. */
  mode?: SharedWebSocketMode;
  /** Extra sharing key: tabs share only when url, protocols and key are equal. */
  key?: string;
  /** Where wsshare-worker.js is; defaults to next to the bundle. */
  workerUrl?: string | URL;
  /** Where wsshare.wasm is; defaults to next to the bundle. */
  wasmUrl?: string | URL;
  /**
   * The protocol spoken over the socket, so that N clients (one per tab) share one
   * server connection as if each had its own: 'auto' (default) knows graphql-ws by
   * graphql-transport-ws, subscriptions-transport-ws by graphql-ws, ActionCable by
   * actioncable-v1-json, STOMP by v12.stomp, v11.stomp or v10.stomp, Socket.IO by
   * Engine.IO 4's websocket url, Phoenix Channels by the url its Socket builds
   * (`.../websocket?...vsn=2.0.0`), and JSON-RPC 2.0 by its frames; 'graphql-transport-ws',
   * 'graphql-ws', 'actioncable-v1-json', 'stomp', 'socket.io', 'phoenix' or 'jsonrpc' force one;
   * 'none' broadcasts every frame.
   */
  protocol?: SharedWebSocketProtocol;
  /**
   * Makes a lost server socket again under the tabs, which stay OPEN (`true`, or how to
   * retry). Off by default unless a protocol profile is at work: then a lost socket, or a
   * new leader, closes every tab as a WebSocket would, and the app reconnects itself.
   * false: no retry at all.
   */
  reconnect?: ReconnectOptions | boolean;
  /** Bytes held while the shared socket is not open; beyond: an error event. */
  maxQueuedBytes?: number;
  /** Frames held while the shared socket is not open; beyond: an error event. */
  maxQueuedFrames?: number;
  /** Largest frame a tab may send; beyond: an error event. */
  maxMessageBytes?: number;
  /** Log state changes (never a token or a payload) to the console. */
  debug?: boolean;
}

/** The leader's counters (the C core's). */
export interface LeaderStats {
  version: string;
  socket: 'idle' | 'connecting' | 'open' | 'closing' | 'reconnecting';
  /**
   * The protocol profile at work, named by the client it serves ('graphql-ws',
   * 'subscriptions-transport-ws', 'actioncable', 'socket.io', 'phoenix', 'jsonrpc'...): 'none' until one took a frame.
   */
  protocol: string;
  tabs: number;
  framesToServer: number;
  bytesToServer: number;
  framesFromServer: number;
  bytesFromServer: number;
  controlPosts: number;
  dataPosts: number;
  queuedFrames: number;
  queuedBytes: number;
  duplicates: number;
  errors: number;
  opens: number;
  /** Retries scheduled since the leader started. */
  reconnects: number;
  /** Retries in a row since the socket last stayed open minUptime. */
  attempt: number;
  tabsJoined: number;
  tabsLeft: number;
  tabsLost: number;
  outOfMemory: number;
  uptimeMs: number;
  /** Bus envelopes dropped, by reason. */
  rejected: {
    /** Not one JSON object with the fields its type needs, or bytes after it. */
    malformed: number;
    /** Another protocol version (an older or newer tab). */
    version: number;
    /** A type the leader does not take. */
    type: number;
    /** Over 4096 bytes. */
    size: number;
    /** From a tab the leader does not know. */
    unknownTab: number;
    /** Frames past a gap (the tab is asked to send again). */
    replay: number;
    /** Addressed to another leader (election mode, during a change). */
    otherLeader: number;
    /** A tab id, frame number or request id out of range. */
    id: number;
  };
}

export interface SharedWebSocketStats {
  mode: ResolvedMode;
  isLeader: boolean;
  tab: {
    id: number;
    readyState: number;
    bufferedAmount: number;
    unacked: number;
    sent: number;
    received: number;
  };
  /** null in 'direct' mode, or when the leader did not answer in time. */
  leader: LeaderStats | null;
}

export interface LeaderChangeEvent extends Event {
  readonly isLeader: boolean;
}

export interface ReconnectingEvent extends Event {
  readonly attempt: number;
  readonly delay: number;
}

export interface SharedWebSocketEventMap {
  open: Event;
  message: MessageEvent;
  error: Event;
  close: CloseEvent;
  leaderchange: LeaderChangeEvent;
  reconnecting: ReconnectingEvent;
}

export declare class SharedWebSocket extends EventTarget {
  constructor(url: string | URL, protocols?: string | string[], options?: SharedWebSocketOptions);

  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  /**
   * A WebSocket-compatible class whose sockets take these options unless
   * given others, for libraries that construct the socket themselves.
   */
  static configure(options: SharedWebSocketOptions): typeof SharedWebSocket;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;

  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: BinaryType;

  /** The mode in use, once resolved. */
  readonly mode: ResolvedMode;
  /** True in the tab that holds the socket (election and direct modes). */
  readonly isLeader: boolean;

  onopen: ((this: SharedWebSocket, ev: Event) => any) | null;
  onmessage: ((this: SharedWebSocket, ev: MessageEvent) => any) | null;
  onerror: ((this: SharedWebSocket, ev: Event) => any) | null;
  onclose: ((this: SharedWebSocket, ev: CloseEvent) => any) | null;
  onleaderchange: ((this: SharedWebSocket, ev: LeaderChangeEvent) => any) | null;
  onreconnecting: ((this: SharedWebSocket, ev: ReconnectingEvent) => any) | null;

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void;
  /** Detaches this tab only; the shared socket closes when the last tab is gone. */
  close(code?: number, reason?: string): void;
  stats(): Promise<SharedWebSocketStats>;

  addEventListener<K extends keyof SharedWebSocketEventMap>(
    type: K,
    listener: (this: SharedWebSocket, ev: SharedWebSocketEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof SharedWebSocketEventMap>(
    type: K,
    listener: (this: SharedWebSocket, ev: SharedWebSocketEventMap[K]) => any,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

export declare const version: string;
