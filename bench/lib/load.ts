/**
 * A small closed-loop HTTP load generator for the benches: `connections` keep-alive sockets, each
 * sending the next request as soon as the previous answer arrived, for `durationMs`. Records
 * each request's latency. node:http directly (not fetch): less client CPU per request, which
 * matters when client and server share two cores.
 */
import http from 'node:http';

export interface LoadOptions {
  readonly url: string;
  readonly method: 'POST' | 'GET';
  readonly body: Buffer;
  readonly contentType?: string;
  readonly connections: number;
  readonly durationMs: number;
  /** Status the server must answer; anything else aborts the run. */
  readonly expectStatus?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly elapsedMs: number;
  readonly latenciesMs: Float64Array;
}

function once(agent: http.Agent, opts: LoadOptions, target: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: opts.method,
        headers: { 'content-type': opts.contentType ?? 'application/json', 'content-length': opts.body.length },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const target = new URL(opts.url);
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + opts.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const status = await once(agent, opts, target);
      if (status !== (opts.expectStatus ?? 200)) throw new Error(`${opts.method} ${opts.url} answered ${status}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  const elapsedMs = performance.now() - start;
  agent.destroy();
  return { requests: latencies.length, elapsedMs, latenciesMs: Float64Array.from(latencies).sort() };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A produce body: `count` records of `valueBytes`-byte JSON string values, keyed or not. */
export function produceBody(count: number, valueBytes: number, keyed = false): Buffer {
  const value = 'x'.repeat(valueBytes - 2); // a JSON string of valueBytes bytes with its quotes
  const records = Array.from({ length: count }, (_, i) => (keyed ? { key: `k${i}`, value } : { value }));
  return Buffer.from(JSON.stringify({ records }));
}
