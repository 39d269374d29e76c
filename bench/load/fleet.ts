/**
 * A fleet of subscribers held open against one broker, for the load bench (`npm run bench:load`,
 * several of these in child processes) and its scaled-down test (one in the test process):
 *
 *   - WebSocket subscribers: one socket each, all credit granted up front, one `subscribe` from
 *     `earliest` of the topic's partition 0;
 *   - SSE streams: `GET /v1/topics/{t}/events?from=earliest&partitions=0`, events parsed as they arrive;
 *   - long-polls: `GET .../partitions/0/records?offset=n&waitMs=...` in a loop, each on its own socket.
 *
 * Every subscriber checks what it receives against the offset it expects next: a gap, a duplicate
 * or a record out of order is counted as a fault (with the first one described), never skipped.
 * `progress()` reports the slowest subscriber of each face, so "every subscriber received every
 * record" is `min >= produced` with no faults. Connections are spread over `sourceAddresses`
 * (127.0.0.x) so that no client address reaches the broker's per-address connection limits, as
 * many browsers behind their own addresses would not.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { onSseEvents } from '../lib/sse.js';

export interface FleetOptions {
  /** Broker base URL, http://127.0.0.1:port. */
  readonly url: string;
  readonly topic: string;
  readonly websockets: number;
  readonly sseStreams: number;
  readonly longPolls: number;
  /** Loopback addresses the fleet's sockets are bound to, round-robin. */
  readonly sourceAddresses: readonly string[];
  /** Connections opening at once while the fleet comes up. */
  readonly openConcurrency?: number;
  /** waitMs of each long-poll (the broker caps it at SPOOL_HTTP_MAX_WAIT_MS). */
  readonly longPollWaitMs?: number;
}

export interface FaceProgress {
  readonly open: number;
  /** Records received by the subscriber that received the fewest. */
  readonly minReceived: number;
  readonly maxReceived: number;
}

export interface FleetProgress {
  readonly ws: FaceProgress;
  readonly sse: FaceProgress;
  readonly longPoll: FaceProgress;
  /** Gaps, duplicates, records out of order, errors and unexpected closes, all faces. */
  readonly faults: number;
  readonly firstFault: string | null;
}

/** One subscriber's position: the next offset it must receive. */
class Position {
  next = 0;
  open = false;
  constructor(
    readonly name: string,
    private readonly fleet: Fleet,
  ) {}

  accept(offset: number): void {
    if (offset !== this.next) this.fleet.fault(`${this.name}: received offset ${offset}, expected ${this.next}`);
    else this.next = offset + 1;
  }
}

interface WsFrame {
  readonly type: string;
  readonly records?: ReadonlyArray<{ readonly offset: number }>;
  readonly code?: string;
  readonly message?: string;
}

export class Fleet {
  private readonly ws: Position[] = [];
  private readonly sse: Position[] = [];
  private readonly longPolls: Position[] = [];
  private readonly sockets: WebSocket[] = [];
  private readonly requests: http.ClientRequest[] = [];
  private readonly agents: http.Agent[] = [];
  private faults = 0;
  private firstFault: string | null = null;
  private closing = false;
  private nextAddress = 0;

  constructor(private readonly options: FleetOptions) {}

  fault(what: string): void {
    if (this.closing) return;
    this.faults++;
    this.firstFault ??= what;
  }

  private address(): string {
    const list = this.options.sourceAddresses;
    return list[this.nextAddress++ % list.length]!;
  }

  /** Opens every connection (openConcurrency at a time); resolves once each is subscribed. */
  async open(): Promise<void> {
    const jobs: Array<() => Promise<void>> = [];
    for (let i = 0; i < this.options.websockets; i++) jobs.push(() => this.openWebSocket(i));
    for (let i = 0; i < this.options.sseStreams; i++) jobs.push(() => this.openSse(i));
    for (let i = 0; i < this.options.longPolls; i++) jobs.push(() => this.startLongPoll(i));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) await jobs[next++]!();
    };
    await Promise.all(Array.from({ length: this.options.openConcurrency ?? 100 }, worker));
  }

  private openWebSocket(i: number): Promise<void> {
    const position = new Position(`ws#${i}`, this);
    this.ws.push(position);
    const socket = new WebSocket(`${this.options.url.replace(/^http/, 'ws')}/v1/ws`, { perMessageDeflate: false, localAddress: this.address() });
    this.sockets.push(socket);
    return new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => (position.open ? this.fault(`${position.name}: ${err.message}`) : reject(err)));
      socket.on('close', (code) => {
        if (position.open) this.fault(`${position.name}: closed by the broker (${code})`);
        else reject(new Error(`${position.name}: closed (${code}) before its subscribe was answered`));
        position.open = false;
      });
      socket.once('open', () => {
        socket.send(JSON.stringify({ type: 'credit', records: 1e12, bytes: 1e15 }));
        socket.send(JSON.stringify({ type: 'subscribe', id: 's', topic: this.options.topic, partitions: [0], from: 'earliest' }));
      });
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as WsFrame;
        if (frame.type === 'records') for (const record of frame.records!) position.accept(record.offset);
        else if (frame.type === 'ack') {
          position.open = true;
          resolve();
        } else if (frame.type === 'error') {
          const what = `${position.name}: error frame ${frame.code}: ${frame.message}`;
          if (position.open) this.fault(what);
          else reject(new Error(what));
        }
      });
    });
  }

  private openSse(i: number): Promise<void> {
    const position = new Position(`sse#${i}`, this);
    this.sse.push(position);
    const target = new URL(`${this.options.url}/v1/topics/${encodeURIComponent(this.options.topic)}/events?from=earliest&partitions=0`);
    return new Promise<void>((resolve, reject) => {
      const req = http.get({ host: target.hostname, port: target.port, path: target.pathname + target.search, localAddress: this.address(), agent: false }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${position.name}: the broker answered ${res.statusCode}`));
          res.resume();
          return;
        }
        position.open = true;
        resolve();
        onSseEvents(res, (event) => this.sseEvent(position, event));
        res.on('close', () => {
          if (position.open) this.fault(`${position.name}: the stream ended`);
          position.open = false;
        });
      });
      req.on('error', (err) => (position.open ? this.fault(`${position.name}: ${err.message}`) : reject(err)));
      this.requests.push(req);
    });
  }

  /** A record event is `id:` + `data:` lines without an `event:` line; control events are counted only if errors. */
  private sseEvent(position: Position, event: string): void {
    let type = 'message';
    let data = '';
    for (const line of event.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (type === 'message' && data !== '') position.accept((JSON.parse(data) as { offset: number }).offset);
    else if (type === 'error') this.fault(`${position.name}: ${data}`);
  }

  /** Resolves once the first fetch is under way; the loop then runs until close(). */
  private startLongPoll(i: number): Promise<void> {
    const position = new Position(`long-poll#${i}`, this);
    this.longPolls.push(position);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.agents.push(agent);
    const target = new URL(this.options.url);
    const localAddress = this.address();
    const fetchOnce = (): Promise<{ records: Array<{ offset: number }>; nextOffset: number }> =>
      new Promise((resolve, reject) => {
        const path = `/v1/topics/${encodeURIComponent(this.options.topic)}/partitions/0/records?offset=${position.next}&waitMs=${this.options.longPollWaitMs ?? 30_000}`;
        const req = http.get({ host: target.hostname, port: target.port, path, agent, localAddress }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${position.name}: fetch answered ${res.statusCode} ${body.slice(0, 200)}`))));
        });
        req.on('error', reject);
      });
    position.open = true;
    void (async () => {
      while (!this.closing) {
        try {
          const answer = await fetchOnce();
          for (const record of answer.records) position.accept(record.offset);
        } catch (err) {
          if (this.closing) break;
          this.fault(err instanceof Error ? err.message : String(err));
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      position.open = false;
    })();
    return Promise.resolve();
  }

  progress(): FleetProgress {
    const face = (list: readonly Position[]): FaceProgress => {
      let min = list.length === 0 ? 0 : Infinity;
      let max = 0;
      let open = 0;
      for (const p of list) {
        min = Math.min(min, p.next);
        max = Math.max(max, p.next);
        if (p.open) open++;
      }
      return { open, minReceived: min, maxReceived: max };
    };
    return { ws: face(this.ws), sse: face(this.sse), longPoll: face(this.longPolls), faults: this.faults, firstFault: this.firstFault };
  }

  /** Closes every connection; what happens on the wire after this is not a fault. */
  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.sockets) socket.terminate();
    for (const req of this.requests) req.destroy();
    for (const agent of this.agents) agent.destroy();
  }
}
