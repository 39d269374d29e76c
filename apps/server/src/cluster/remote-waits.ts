/**
 * The long polls this node sends to other brokers for partitions they lead (a WebSocket or SSE
 * feed, an HTTP fetch with waitMs, a group's delivery loop waiting for records), on connections of
 * their own.
 *
 * Why: a Kafka broker answers the requests of one connection in the order they came (Spool's
 * listener does, as Kafka's does). A Fetch that waits up to a minute for records would hold every
 * response queued behind it on the same connection: a forwarded produce, a read, or another
 * partition's long poll whose records have already arrived. So:
 *
 * - lanes: a lane is a PartitionRouter of its own (one connection per broker, opened on first use,
 *   following the cluster's membership like the main router). A wait in flight holds its lane's
 *   connection to its leader alone; a wait to the same leader finding every lane's connection busy
 *   takes a new lane, up to `maxLanes`, then queues (first come, first served) for the first lane
 *   that leader frees. Nothing but waits uses the lanes, so the main router's connections (produce,
 *   reads, offsets) never sit behind a wait;
 * - sharing: waits for the same partition at the same offset share one Fetch (the tail of a
 *   partition watched by many subscribers costs one long poll), which is aborted, freeing its lane,
 *   once every waiter has left (timed out, aborted). A waiter's own timeout and signal end its wait
 *   early; a shared Fetch that ends before a later waiter's own timeout is a wake-up like any other
 *   (callers read again and wait again if nothing came: PartitionReader.waitForAppend).
 */
import type { KafkaRequestSender } from '@spool/broker-client';
import type { PartitionRouter } from './partition-router.js';

/** Lanes one node opens at most: long polls in flight to one leader at once (each its own connection). */
export const DEFAULT_MAX_WAIT_LANES = 32;

interface Lane {
  readonly router: PartitionRouter;
  /** Brokers whose connection on this lane carries a wait now. */
  readonly busy: Set<number>;
}

interface SharedWait {
  done: Promise<void>;
  readonly abort: AbortController;
  waiters: number;
}

interface QueuedWait {
  readonly leader: number;
  readonly grant: (lane: Lane) => void;
}

export class RemoteWaits {
  private readonly lanes: Lane[] = [];
  private readonly queue: QueuedWait[] = [];
  private readonly shared = new Map<string, SharedWait>();
  private closed = false;

  constructor(
    /** A new, started router for a lane (its own connection pool). */
    private readonly newLane: () => PartitionRouter,
    readonly maxLanes: number = DEFAULT_MAX_WAIT_LANES,
  ) {}

  /**
   * Waits (at most `timeoutMs`, or until `signal`) for `poll`, shared by every caller with the same
   * `key` while it runs. `poll` gets a sender to `leader` that no other request uses meanwhile
   * (through a function, which throws LEADER_NOT_AVAILABLE while the broker is not registered), and a
   * signal that fires when the last waiter leaves.
   */
  async wait(leader: number, key: string, timeoutMs: number, signal: AbortSignal | undefined, poll: (sender: () => KafkaRequestSender, signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.closed || signal?.aborted || timeoutMs <= 0) return;
    let joined = this.shared.get(key);
    if (joined === undefined) {
      const abort = new AbortController();
      const started: SharedWait = { abort, waiters: 0, done: Promise.resolve() };
      // Forgotten when it ends (or is abandoned, below): a later wait on the key starts a new Fetch.
      started.done = this.run(leader, abort.signal, poll).then(
        () => this.forget(key, started),
        () => this.forget(key, started),
      );
      joined = started;
      this.shared.set(key, joined);
    }
    joined.waiters += 1;
    try {
      await untilDone(joined.done, timeoutMs, signal);
    } finally {
      joined.waiters -= 1;
      if (joined.waiters === 0) {
        this.forget(key, joined);
        joined.abort.abort();
      }
    }
  }

  private forget(key: string, entry: SharedWait): void {
    if (this.shared.get(key) === entry) this.shared.delete(key);
  }

  /** Lanes opened so far, and waits in flight or queued (for /metrics and tests). */
  stats(): { lanes: number; inFlight: number; queued: number } {
    return { lanes: this.lanes.length, inFlight: this.lanes.reduce((n, lane) => n + lane.busy.size, 0), queued: this.queue.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.shared.values()) entry.abort.abort();
    await Promise.all(this.lanes.map((lane) => lane.router.close()));
  }

  private async run(leader: number, signal: AbortSignal, poll: (sender: () => KafkaRequestSender, signal: AbortSignal) => Promise<void>): Promise<void> {
    const lane = await this.acquire(leader, signal);
    if (lane === null) return;
    try {
      // The sender is taken inside the poll, so a broker not registered right now is the poll's failure to handle.
      await poll(() => lane.router.sender(leader), signal);
    } finally {
      this.release(lane, leader);
    }
  }

  /** A lane whose connection to `leader` is free, now or when one is freed; null if `signal` fires first or the waits are closed. */
  private acquire(leader: number, signal: AbortSignal): Promise<Lane | null> {
    if (this.closed || signal.aborted) return Promise.resolve(null);
    let lane = this.lanes.find((l) => !l.busy.has(leader));
    if (lane === undefined && this.lanes.length < this.maxLanes) {
      lane = { router: this.newLane(), busy: new Set() };
      this.lanes.push(lane);
    }
    if (lane !== undefined) {
      lane.busy.add(leader);
      return Promise.resolve(lane);
    }
    return new Promise((resolve) => {
      const queued: QueuedWait = {
        leader,
        grant: (granted) => {
          signal.removeEventListener('abort', leave);
          resolve(granted);
        },
      };
      const leave = (): void => {
        const at = this.queue.indexOf(queued);
        if (at >= 0) this.queue.splice(at, 1);
        resolve(null);
      };
      signal.addEventListener('abort', leave, { once: true });
      this.queue.push(queued);
    });
  }

  /** Hands the lane's connection to `leader` to the first wait queued for that leader, else frees it. */
  private release(lane: Lane, leader: number): void {
    const next = this.queue.findIndex((q) => q.leader === leader);
    if (next >= 0 && !this.closed) {
      const [queued] = this.queue.splice(next, 1);
      queued.grant(lane);
      return;
    }
    lane.busy.delete(leader);
  }
}

/** Resolves when `done` settles, `timeoutMs` passes or `signal` fires, whichever is first. */
function untilDone(done: Promise<void>, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    signal?.addEventListener('abort', finish, { once: true });
    done.then(finish, finish);
  });
}
