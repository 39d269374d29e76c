/**
 * SpoolClient: one WebSocket to a Spool broker (`/v1/ws`), shared by any number of
 * subscriptions and group memberships, reconnecting on its own.
 *
 * - Credit: the client keeps `creditWindow` records/bytes granted; each records frame consumes
 *   credit, and the client grants it back once the handler's promise resolves, so a slow handler
 *   slows the server down instead of filling browser memory.
 * - Reconnect: after an unexpected close it reconnects with exponential backoff (capped, with
 *   jitter), re-subscribes each subscription right after the last record it handed to its handler
 *   (per partition) and rejoins each group, which resumes from the committed offsets; records a
 *   membership already handed over in this session are not handed over twice.
 * - Groups: auto-commit every `autoCommitIntervalMs` of what the handler finished, with the
 *   generation it was delivered in (the server refuses stale ones), and on revocation.
 * - Tokens (brokers with authentication on): `token` is sent in an `authenticate` frame first on
 *   every connection. Given as a function, it is called again before the credential expires
 *   (`renewBeforeMs`) and the fresh token renews the connection in place; if the server closes the
 *   connection for an expired credential (4401), the client reconnects with a fresh token.
 */
import { SpoolError, type Assignor, type ProduceRecord, type ProduceResult, type ProduceFormatOptions, type ReadFormatOptions, type RecordsBatch, type SpoolRecord, type StartFrom, type TopicPartitionOffset, type WebSocketFactory, type WebSocketLike } from './types.js';

export interface SpoolClientOptions {
  /** ws(s)://host:port/v1/ws, or the broker's http(s) base URL. */
  readonly url: string;
  /** Default: the browser's WebSocket. */
  readonly webSocket?: WebSocketFactory;
  /** Records and bytes the server may send ahead of the handlers. Default 5000 records, 4 MiB. */
  readonly creditWindow?: { records: number; bytes: number };
  /** Reconnect backoff. Default 250 ms doubling to 10 s. */
  readonly reconnectDelayMs?: { initial: number; max: number };
  readonly onStateChange?: (state: 'connecting' | 'open' | 'closed') => void;
  /** An API key or JWT, or a function that returns a fresh one (called at each connect and before expiry). */
  readonly token?: string | (() => string | Promise<string>);
  /** How long before the credential's expiry a fresh token is fetched. Default 30 s (or half the lifetime, if shorter). */
  readonly renewBeforeMs?: number;
  readonly onError?: (error: SpoolError) => void;
}

export type RecordsHandler = (batch: RecordsBatch) => void | Promise<void>;

interface Pending {
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Frame = Record<string, any>;

const OPEN = 1;

export function toWebSocketUrl(url: string): string {
  if (url.startsWith('ws://') || url.startsWith('wss://')) return url;
  const u = new URL(url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/v1/ws';
  return u.toString();
}

export class SpoolClient {
  private socket: WebSocketLike | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly streams = new Map<string, Stream>();
  private nextId = 1;
  private closedByUser = false;
  private attempts = 0;
  private opened: Promise<void> | null = null;
  private readonly window: { records: number; bytes: number };
  private renewTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: SpoolClientOptions) {
    this.window = options.creditWindow ?? { records: 5000, bytes: 4 * 1024 * 1024 };
  }

  /** Opens the connection (subscribe/join/produce call it too). */
  connect(): Promise<void> {
    this.closedByUser = false;
    this.opened ??= this.open();
    return this.opened;
  }

  /** Reads `topic` (all partitions unless named) from `from`; resumes where it stopped after a reconnect. */
  async subscribe(topic: string, options: SubscribeOptions, handler: RecordsHandler): Promise<Subscription> {
    const stream = new Subscription(this, `s${this.nextId++}`, topic, options, handler);
    this.streams.set(stream.id, stream);
    await this.connect();
    await stream.start();
    return stream;
  }

  /** Joins a consumer group; partitions come and go with `assigned` / `revoked`. */
  async join(group: string, topics: string[], options: GroupOptions, handler: RecordsHandler): Promise<GroupMembership> {
    const stream = new GroupMembership(this, `g${this.nextId++}`, group, topics, options, handler);
    this.streams.set(stream.id, stream);
    await this.connect();
    await stream.start();
    return stream;
  }

  async produce(topic: string, records: ProduceRecord[], options: { acks?: 'none' | 'leader' | 'all' } & ProduceFormatOptions = {}): Promise<ProduceResult[]> {
    await this.connect();
    const ack = await this.request({ type: 'produce', topic, records, ...options });
    return ack.results as ProduceResult[];
  }

  /** Commits offsets (next offset to read) for a group; with generationId, fenced by it. */
  async commit(group: string, offsets: TopicPartitionOffset[], generationId?: number): Promise<void> {
    await this.connect();
    await this.request({ type: 'commit', group, offsets, ...(generationId !== undefined && { generationId }) });
  }

  pause(topic: string, partitions?: number[]): void {
    this.send({ type: 'pause', topic, ...(partitions && { partitions }) });
  }

  resume(topic: string, partitions?: number[]): void {
    this.send({ type: 'resume', topic, ...(partitions && { partitions }) });
  }

  close(): void {
    this.closedByUser = true;
    for (const stream of this.streams.values()) stream.stop();
    this.streams.clear();
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = null;
    this.opened = null;
  }

  // ---------------------------------------------------------------- internals used by streams

  /** Sends a frame with a fresh id (unless it has one) and resolves with its ack. */
  request(frame: Frame): Promise<Frame> {
    const id = (frame.id as string | undefined) ?? `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (!this.send({ ...frame, id })) {
        this.pending.delete(id);
        reject(new SpoolError('BROKER_NOT_AVAILABLE', 'not connected', true));
      }
    });
  }

  send(frame: Frame): boolean {
    if (this.socket === null || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  grant(records: number, bytes: number): void {
    if (records > 0 || bytes > 0) this.send({ type: 'credit', records, bytes });
  }

  forget(id: string): void {
    this.streams.delete(id);
  }

  // ---------------------------------------------------------------- connection

  private open(): Promise<void> {
    this.options.onStateChange?.('connecting');
    const factory = this.options.webSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);
    const socket = factory(toWebSocketUrl(this.options.url));
    this.socket = socket;
    return new Promise((resolve, reject) => {
      let settled = false;
      socket.onmessage = (ev) => {
        const frame = JSON.parse(String(ev.data)) as Frame;
        if (frame.type === 'hello') {
          const ready = (): void => {
            // Top the server's initial credit up to our window (after authenticating: nothing else
            // is accepted before the authenticate frame).
            this.grant(Math.max(0, this.window.records - frame.credit.records), Math.max(0, this.window.bytes - frame.credit.bytes));
            this.attempts = 0;
            settled = true;
            this.options.onStateChange?.('open');
            resolve();
            for (const stream of this.streams.values()) if (stream.needsRestart) void stream.start().catch((err: Error) => this.report(err));
          };
          if (this.options.token === undefined) return ready();
          // Authenticate first; nothing else is served before it.
          void this.authenticate().then(ready, (err: Error) => {
            this.report(err);
            socket.close(1000, 'authentication failed');
          });
          return;
        }
        if (frame.type === 'authenticated') return this.onAuthenticated(frame);
        this.onFrame(frame);
      };
      socket.onerror = () => undefined;
      socket.onclose = () => {
        if (this.socket === socket) this.socket = null;
        if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
        this.renewTimer = undefined;
        for (const [, p] of this.pending) p.reject(new SpoolError('BROKER_NOT_AVAILABLE', 'connection closed', true));
        this.pending.clear();
        for (const stream of this.streams.values()) stream.onDisconnect();
        this.options.onStateChange?.('closed');
        if (!settled) reject(new SpoolError('BROKER_NOT_AVAILABLE', 'could not connect', true));
        if (!this.closedByUser) this.scheduleReconnect();
      };
    });
  }

  private async authenticate(): Promise<void> {
    const token = this.options.token;
    const value = typeof token === 'function' ? await token() : token;
    const id = `a${this.nextId++}`;
    await new Promise<Frame>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (!this.send({ type: 'authenticate', id, token: value })) {
        this.pending.delete(id);
        reject(new SpoolError('BROKER_NOT_AVAILABLE', 'not connected', true));
      }
    }).catch((err: unknown) => {
      // A broker with authentication off (a developer's) says so instead of accepting the token:
      // the connection works without one, so go on (nothing to renew).
      if (err instanceof SpoolError && err.code === 'SECURITY_DISABLED') return;
      throw err;
    });
  }

  /** Schedules the renewal of an expiring credential (only a token function can renew). */
  private onAuthenticated(frame: Frame): void {
    const pending = frame.id !== undefined ? this.pending.get(frame.id) : undefined;
    if (pending !== undefined) {
      this.pending.delete(frame.id);
      pending.resolve(frame);
    }
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
    if (typeof this.options.token !== 'function' || typeof frame.expiresAtMs !== 'number') return;
    const lifetimeMs = frame.expiresAtMs - Date.now();
    const beforeMs = Math.min(this.options.renewBeforeMs ?? 30_000, lifetimeMs / 2);
    this.renewTimer = setTimeout(() => {
      this.renewTimer = undefined;
      this.authenticate().catch((err: Error) => this.report(err));
    }, Math.max(0, lifetimeMs - beforeMs));
  }

  private scheduleReconnect(): void {
    const { initial, max } = this.options.reconnectDelayMs ?? { initial: 250, max: 10_000 };
    const delay = Math.min(max, initial * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
    setTimeout(() => {
      if (this.closedByUser) return;
      this.opened = this.open().catch(() => undefined);
    }, delay);
  }

  private onFrame(frame: Frame): void {
    if (frame.type === 'ack' || (frame.type === 'error' && frame.id !== undefined && this.pending.has(frame.id))) {
      const p = this.pending.get(frame.id);
      if (p !== undefined) {
        this.pending.delete(frame.id);
        if (frame.type === 'ack') p.resolve(frame);
        else p.reject(new SpoolError(frame.code, frame.message, frame.retriable, frame.details));
        return;
      }
    }
    const stream = frame.id !== undefined ? this.streams.get(frame.id) : undefined;
    if (stream !== undefined) return stream.onFrame(frame);
    if (frame.type === 'error') this.report(new SpoolError(frame.code, frame.message, frame.retriable, frame.details));
  }

  report(err: Error): void {
    this.options.onError?.(err instanceof SpoolError ? err : new SpoolError('UNKNOWN_SERVER_ERROR', err.message));
  }
}

/** What subscriptions and memberships share: ordered handling per partition and credit return. */
abstract class Stream {
  needsRestart = false;
  /** Next offset to hand to the handler, per "topic/partition". */
  protected readonly positions = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  protected stopped = false;

  constructor(
    protected readonly client: SpoolClient,
    readonly id: string,
    private readonly handler: RecordsHandler,
  ) {}

  abstract start(): Promise<void>;

  onDisconnect(): void {
    this.needsRestart = !this.stopped;
  }

  stop(): void {
    this.stopped = true;
  }

  onFrame(frame: Frame): void {
    if (frame.type === 'records') this.onRecords(frame);
    else if (frame.type === 'error') this.client.report(new SpoolError(frame.code, frame.message, frame.retriable, frame.details));
  }

  protected generationFor(_topic: string, _partition: number): number | undefined {
    return undefined;
  }

  protected afterHandled(_topic: string, _partition: number, _next: number): void {}

  private onRecords(frame: Frame): void {
    const key = `${frame.topic}/${frame.partition}`;
    const records = frame.records as SpoolRecord[];
    const generationId = this.generationFor(frame.topic, frame.partition);
    this.chain = this.chain.then(async () => {
      const from = this.positions.get(key) ?? -1;
      const fresh = records.filter((r) => r.offset >= from); // a rejoin may redeliver what we handled
      try {
        if (fresh.length > 0 && !this.stopped) await this.handler({ topic: frame.topic, partition: frame.partition, records: fresh, ...(generationId !== undefined && { generationId }) });
        if (fresh.length > 0) {
          const next = fresh[fresh.length - 1].offset + 1;
          this.positions.set(key, next);
          this.afterHandled(frame.topic, frame.partition, next);
        }
      } catch (err) {
        this.client.report(err as Error);
      } finally {
        this.client.grant(records.length, frame.bytes ?? 0);
      }
    });
  }
}

export class Subscription extends Stream {
  /**
   * The topic's Kafka topic id as the broker's last subscribe ack gave it (undefined before the
   * first ack). A topic deleted and created again under the same name has a new one, so a change
   * across a reconnect means the records now come from a different topic of the same name.
   */
  topicId: string | undefined;

  constructor(
    client: SpoolClient,
    id: string,
    readonly topic: string,
    private readonly options: SubscribeOptions,
    handler: RecordsHandler,
  ) {
    super(client, id, handler);
  }

  async start(): Promise<void> {
    this.needsRestart = false;
    const positions = [...this.positions].map(([key, offset]) => ({ partition: Number(key.slice(key.lastIndexOf('/') + 1)), offset }));
    const ack = await this.client.request({
      type: 'subscribe',
      id: this.id,
      topic: this.topic,
      from: this.options.from ?? 'latest',
      ...(this.options.partitions && { partitions: this.options.partitions }),
      ...formatFields(this.options),
      ...(positions.length > 0 && { positions }),
    });
    if (typeof ack.topicId === 'string') this.topicId = ack.topicId;
  }

  async unsubscribe(): Promise<void> {
    this.stop();
    this.client.forget(this.id);
    await this.client.request({ type: 'unsubscribe', id: this.id }).catch(() => undefined);
  }
}

export interface SubscribeOptions extends ReadFormatOptions {
  partitions?: number[];
  from?: StartFrom;
}

/** The format fields that are set, for a frame. */
function formatFields(options: ReadFormatOptions): ReadFormatOptions {
  return {
    ...(options.keyFormat && { keyFormat: options.keyFormat }),
    ...(options.valueFormat && { valueFormat: options.valueFormat }),
    ...(options.format && { format: options.format }),
  };
}

export interface GroupOptions extends ReadFormatOptions {
  readonly assignor?: Assignor;
  /** Where partitions without a committed offset start. Default latest (Kafka's default). */
  readonly from?: 'earliest' | 'latest';
  readonly sessionTimeoutMs?: number;
  /** Commit handled records every this often; 0 disables (commit yourself). Default 1000. */
  readonly autoCommitIntervalMs?: number;
  readonly onAssigned?: (partitions: TopicPartitionOffset[], generationId: number) => void;
  readonly onRevoked?: (partitions: { topic: string; partition: number }[], generationId: number) => void;
}

export class GroupMembership extends Stream {
  generationId = -1;
  memberId = '';
  private readonly ownedSince = new Map<string, number>();
  private readonly uncommitted = new Map<string, TopicPartitionOffset>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    client: SpoolClient,
    id: string,
    readonly group: string,
    readonly topics: string[],
    private readonly options: GroupOptions,
    handler: RecordsHandler,
  ) {
    super(client, id, handler);
  }

  /** Partitions owned now. */
  get assignment(): { topic: string; partition: number }[] {
    return [...this.ownedSince.keys()].map((k) => ({ topic: k.slice(0, k.lastIndexOf('/')), partition: Number(k.slice(k.lastIndexOf('/') + 1)) }));
  }

  async start(): Promise<void> {
    this.needsRestart = false;
    this.ownedSince.clear();
    const ack = await this.client.request({
      type: 'join',
      id: this.id,
      group: this.group,
      topics: this.topics,
      assignor: this.options.assignor ?? 'range',
      from: this.options.from ?? 'latest',
      ...formatFields(this.options),
      ...(this.options.sessionTimeoutMs && { sessionTimeoutMs: this.options.sessionTimeoutMs }),
    });
    this.memberId = ack.memberId;
    const interval = this.options.autoCommitIntervalMs ?? 1000;
    if (interval > 0 && this.timer === undefined) this.timer = setInterval(() => void this.commitHandled().catch(() => undefined), interval);
  }

  /** Commits what the handler has finished (auto-commit does this every interval). */
  async commitHandled(): Promise<void> {
    const byGeneration = new Map<number, TopicPartitionOffset[]>();
    for (const [key, o] of this.uncommitted) {
      const generation = this.ownedSince.get(key);
      if (generation === undefined) continue;
      byGeneration.set(this.generationId, [...(byGeneration.get(this.generationId) ?? []), o]);
    }
    this.uncommitted.clear();
    for (const [generationId, offsets] of byGeneration) await this.client.commit(this.group, offsets, generationId);
  }

  async leave(): Promise<void> {
    await this.commitHandled().catch(() => undefined);
    this.stop();
    this.client.forget(this.id);
    await this.client.request({ type: 'leave', id: this.id }).catch(() => undefined);
  }

  override stop(): void {
    super.stop();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  override onFrame(frame: Frame): void {
    if (frame.type === 'assigned') {
      this.generationId = frame.generationId;
      for (const p of frame.partitions as TopicPartitionOffset[]) this.ownedSince.set(`${p.topic}/${p.partition}`, frame.generationId);
      this.options.onAssigned?.(frame.partitions, frame.generationId);
      return;
    }
    if (frame.type === 'revoked') {
      const revoked = (frame.partitions as TopicPartitionOffset[]).map((p) => ({ topic: p.topic, partition: p.partition }));
      // Commit what was handled of the revoked partitions while the generation still holds.
      const offsets = revoked.map((p) => this.uncommitted.get(`${p.topic}/${p.partition}`)).filter((o): o is TopicPartitionOffset => o !== undefined);
      for (const p of revoked) {
        this.ownedSince.delete(`${p.topic}/${p.partition}`);
        this.uncommitted.delete(`${p.topic}/${p.partition}`);
      }
      if (offsets.length > 0) void this.client.commit(this.group, offsets).catch(() => undefined);
      this.options.onRevoked?.(revoked, frame.generationId);
      return;
    }
    super.onFrame(frame);
  }

  override onDisconnect(): void {
    super.onDisconnect();
    this.ownedSince.clear();
    this.uncommitted.clear();
  }

  protected override generationFor(): number {
    return this.generationId;
  }

  protected override afterHandled(topic: string, partition: number, next: number): void {
    this.uncommitted.set(`${topic}/${partition}`, { topic, partition, offset: next });
  }
}
