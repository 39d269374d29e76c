/**
 * Producers for the load bench and test: `producers` HTTP producers, each posting `recordsPerRequest`
 * records to partition 0 every `intervalMs` (open loop: a slow answer does not delay the next
 * request, so a starved broker shows as latency rather than as fewer requests), each on its own
 * keep-alive socket. Latency is from the request's scheduled time to its answer, so time a request
 * spent waiting behind a slow one counts (no coordinated omission). Latencies are kept per phase,
 * named by the caller, so the same producers report "steady" and "storm" separately.
 */
import http from 'node:http';

export interface ProducerOptions {
  readonly url: string;
  readonly topic: string;
  readonly producers: number;
  readonly recordsPerRequest: number;
  readonly intervalMs: number;
  readonly valueBytes: number;
}

export class Producers {
  /** Records the broker acknowledged (each with an offset); only these are owed to subscribers. */
  acknowledged = 0;
  failures = 0;
  firstFailure: string | null = null;
  private phase = 'warm-up';
  private paused = false;
  private readonly latencies = new Map<string, number[]>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly body: Buffer;

  constructor(private readonly options: ProducerOptions) {
    const value = 'v'.repeat(options.valueBytes - 2);
    const records = Array.from({ length: options.recordsPerRequest }, () => ({ partition: 0, value }));
    this.body = Buffer.from(JSON.stringify({ records }));
  }

  /** Skips the scheduled requests until resume() (the schedule itself goes on). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Latencies from now on are counted under `phase`. */
  setPhase(phase: string): void {
    this.phase = phase;
  }

  start(): void {
    for (let p = 0; p < this.options.producers; p++) {
      // Spread the producers over the interval, so their requests do not all land at once.
      const offsetMs = (p * this.options.intervalMs) / this.options.producers;
      const begin = performance.now() + offsetMs;
      let n = 0;
      const tick = (): void => {
        const scheduledAt = begin + n * this.options.intervalMs;
        n++;
        if (!this.paused) this.track(this.produce(scheduledAt, this.phase));
        this.timers[p] = setTimeout(tick, Math.max(0, begin + n * this.options.intervalMs - performance.now()));
      };
      this.timers[p] = setTimeout(tick, offsetMs);
    }
  }

  private track(request: Promise<void>): void {
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private produce(scheduledAt: number, phase: string): Promise<void> {
    const target = new URL(`${this.options.url}/v1/topics/${encodeURIComponent(this.options.topic)}/records`);
    return new Promise<void>((resolve) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': this.body.length } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const answer = res.statusCode === 200 ? (JSON.parse(text) as { results: Array<{ offset?: number }> }) : null;
            const stored = answer?.results.filter((r) => typeof r.offset === 'number').length ?? 0;
            if (stored === this.options.recordsPerRequest) {
              this.acknowledged += stored;
              let list = this.latencies.get(phase);
              if (list === undefined) this.latencies.set(phase, (list = []));
              list.push(performance.now() - scheduledAt);
            } else this.fail(`produce answered ${res.statusCode}: ${text.slice(0, 200)}`);
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        this.fail(`produce failed: ${err.message}`);
        resolve();
      });
      req.end(this.body);
    });
  }

  private fail(what: string): void {
    this.failures++;
    this.firstFailure ??= what;
  }

  /** Stops producing; resolves once every request sent has been answered. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.agent.destroy();
  }

  /** Sorted latencies (ms) of one phase. */
  latenciesOf(phase: string): Float64Array {
    return Float64Array.from(this.latencies.get(phase) ?? []).sort();
  }
}
