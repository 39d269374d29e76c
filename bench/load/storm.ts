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
  readonly elapsedMs: number;
  /** Sorted times from scheduled start to the subscribe's ack, ms. */
  readonly connectMs: Float64Array;
}

function connectOnce(options: StormOptions, localAddress: string, scheduledAt: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${options.url.replace(/^http/, 'ws')}/v1/ws`, { perMessageDeflate: false, localAddress });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`not subscribed within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; code?: string; message?: string };
      if (frame.type === 'hello') socket.send(JSON.stringify({ type: 'subscribe', id: 's', topic: options.topic, from: 'latest' }));
      else if (frame.type === 'ack') {
        clearTimeout(timer);
        resolve(performance.now() - scheduledAt);
        socket.close(1000);
      } else if (frame.type === 'error') {
        clearTimeout(timer);
        socket.terminate();
        reject(new Error(`error frame ${frame.code}: ${frame.message}`));
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
          (err: Error) => {
            failed++;
            firstFailure ??= err.message;
          },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(attempts);
  return { attempted: total, subscribed: connectMs.length, failed, firstFailure, elapsedMs: performance.now() - start, connectMs: Float64Array.from(connectMs).sort() };
}
