/**
 * A counting semaphore with a FIFO queue of waiters: at most `limit` requests to one broker are in
 * flight; a caller beyond that waits (its request not yet encoded, so the wait costs a closure,
 * not a buffer) until a slot frees, its deadline passes or its signal aborts. Waiters are served
 * in arrival order, so none starves.
 */
import { BrokerClientError } from './broker-client.error.js';

interface Waiter {
  readonly grant: () => void;
  readonly fail: (err: BrokerClientError) => void;
}

export class InFlightLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly limit: number,
    private readonly label: string,
  ) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`in-flight limit must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a release function once a slot is held (call it exactly once, when the request
   * is answered or failed). Rejects with REQUEST_TIMED_OUT after `timeoutMs` or on abort.
   */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(this.abortError());
    if (this.active < this.limit && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve(this.releaser());
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const onAbort = (): void => waiter.fail(this.abortError());
      const timer = setTimeout(
        () =>
          waiter.fail(
            new BrokerClientError('REQUEST_TIMED_OUT', `waited ${timeoutMs} ms for one of the ${this.limit} in-flight slots to ${this.label}`, {
              limit: this.limit,
              timeoutMs,
            }),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Fails every waiter (the broker left the pool). Slots already held are released by their owners. */
  failWaiters(err: BrokerClientError): void {
    for (const waiter of this.waiters.slice()) waiter.fail(err);
  }

  private abortError(): BrokerClientError {
    return new BrokerClientError('REQUEST_TIMED_OUT', `request to ${this.label} aborted while waiting for an in-flight slot`, { aborted: true });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters[0];
      // The slot passes straight to the oldest waiter; `active` stays the same.
      if (next !== undefined) next.grant();
      else this.active--;
    };
  }
}
