/**
 * A connection storm: `ratePerSecond` new WebSocket connections a second for `durationMs`, each
 * waiting for the broker's `hello` frame, subscribing from `latest` and waiting for the `ack`,
 * then closing (the close handshake, as a browser tab that goes away). Counts what succeeded and
 * how long each took from the scheduled start to the ack (open loop, like the producers).
 * Connections are spread over `sourceAddresses`.
 */
import WebSocket from 'ws';

export interface StormOptions {
  readonly url: string;
  readonly topic: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly sourceAddresses: readonly string[];
  /** A connection not subscribed by then counts as failed. */
  readonly timeoutMs?: number;
}

export interface StormResult {
  readonly attempted: number;
  readonly subscribed: number;
  readonly failed: number;
  readonly firstFailure: string | null;
  /** Failures by cause and stage ("read ECONNRESET before the upgrade answer": count), with the range of times after the attempt began. */
  readonly failures: Readonly<Record<string, { count: number; minMs: number; maxMs: number }>>;
  readonly elapsedMs: number;
  /** Sorted times from scheduled start to the subscribe's ack, ms. */
  readonly connectMs: Float64Array;
}

/** How far a connection got: the stage a failure is reported with. */
type Stage = 'before the TCP connect completed' | 'before the upgrade answer' | 'before the hello frame' | 'before the ack';

class StormFailure extends Error {
  constructor(
    readonly reason: string,
    readonly stage: Stage,
    readonly afterMs: number,
  ) {
    super(`${reason} ${stage} (${(afterMs / 1000).toFixed(1)} s after the attempt began)`);
  }
}

function connectOnce(options: StormOptions, localAddress: string, scheduledAt: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    let stage: Stage = 'before the TCP connect completed';
    const fail = (cause: string): void => reject(new StormFailure(cause, stage, performance.now() - began));
    const socket = new WebSocket(`${options.url.replace(/^http/, 'ws')}/v1/ws`, {
      perMessageDeflate: false,
      localAddress,
      // The request's socket tells when TCP connected, before the upgrade request goes out.
      finishRequest: (request) => {
        request.once('socket', (s) => s.once('connect', () => (stage = 'before the upgrade answer')));
        request.end();
      },
    });
    const timer = setTimeout(() => {
      socket.terminate();
      fail(`not subscribed within ${options.timeoutMs ?? 10_000} ms`);
    }, options.timeoutMs ?? 10_000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      fail(err.message);
    });
    socket.once('upgrade', () => (stage = 'before the hello frame'));
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; code?: string; message?: string };
      if (frame.type === 'hello') {
        stage = 'before the ack';
        socket.send(JSON.stringify({ type: 'subscribe', id: 's', topic: options.topic, from: 'latest' }));
      }
      else if (frame.type === 'ack') {
        clearTimeout(timer);
        resolve(performance.now() - scheduledAt);
        socket.close(1000);
      } else if (frame.type === 'error') {
        clearTimeout(timer);
        socket.terminate();
        fail(`error frame ${frame.code}: ${frame.message}`);
      }
    });
  });
}

export async function runStorm(options: StormOptions): Promise<StormResult> {
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const intervalMs = 1000 / options.ratePerSecond;
  const connectMs: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  const failures: Record<string, { count: number; minMs: number; maxMs: number }> = {};
  const attempts: Array<Promise<void>> = [];
  const start = performance.now();
  // Paced in small bursts on a timer: setTimeout cannot fire every millisecond reliably.
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; i < due; i++) {
      const scheduledAt = start + i * intervalMs;
      attempts.push(
        connectOnce(options, options.sourceAddresses[i % options.sourceAddresses.length]!, scheduledAt).then(
          (ms) => void connectMs.push(ms),
          (err: StormFailure) => {
            failed++;
            firstFailure ??= err.message;
            const kind = (failures[`${err.reason} ${err.stage}`] ??= { count: 0, minMs: err.afterMs, maxMs: err.afterMs });
            kind.count++;
            kind.minMs = Math.min(kind.minMs, err.afterMs);
            kind.maxMs = Math.max(kind.maxMs, err.afterMs);
          },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(attempts);
  return { attempted: total, subscribed: connectMs.length, failed, firstFailure, failures, elapsedMs: performance.now() - start, connectMs: Float64Array.from(connectMs).sort() };
}
