/**
 * Exponential backoff with jitter between connection attempts to one broker, as Kafka's clients
 * space theirs (reconnect.backoff.ms, reconnect.backoff.max.ms, and a +-20% random factor so that
 * many brokers that lost the same peer do not all knock again at the same instant).
 *
 *   delay(n) = min(maxMs, baseMs * 2^(n-1)) * (1 + jitter * (2 * random() - 1)),  n = failures so far (>= 1)
 */
export interface ReconnectBackoffOptions {
  /** reconnect.backoff.ms: the first delay. Default 50. */
  readonly baseMs?: number;
  /** reconnect.backoff.max.ms: the cap before jitter. Default 1000. */
  readonly maxMs?: number;
  /** Fraction of the delay drawn at random either way. Default 0.2. */
  readonly jitter?: number;
  /** Uniform in [0, 1): inject a seeded one in tests. Default Math.random. */
  readonly random?: () => number;
}

export const DEFAULT_RECONNECT_BACKOFF_MS = 50;
export const DEFAULT_RECONNECT_BACKOFF_MAX_MS = 1000;

export class ReconnectBackoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_RECONNECT_BACKOFF_MS;
    this.maxMs = Math.max(this.baseMs, options.maxMs ?? DEFAULT_RECONNECT_BACKOFF_MAX_MS);
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs >= 0 && this.jitter >= 0 && this.jitter < 1)) {
      throw new RangeError(`reconnect backoff needs baseMs >= 0 and 0 <= jitter < 1, got ${this.baseMs} and ${this.jitter}`);
    }
  }

  /** Milliseconds to wait after the `failures`-th failure in a row (failures >= 1). */
  delayMs(failures: number): number {
    // 2^(n-1) overflows to Infinity for huge n, which min() then caps: no special case needed.
    const term = Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, failures - 1));
    return Math.round(term * (1 + this.jitter * (2 * this.random() - 1)));
  }
}
