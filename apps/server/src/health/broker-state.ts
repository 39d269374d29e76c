/**
 * The broker node's lifecycle, as readiness reports it.
 *
 *   STARTING  listener up, partitions opening/recovering.  -> READY (all partitions open)
 *                                                          -> STOPPING (signal during start-up)
 *   READY     serving.                                      -> STOPPING (SIGTERM/SIGINT)
 *   STOPPING  draining requests, then closing the logs.     (terminal)
 *
 * Liveness (/healthz) does not depend on the state: a node recovering a large log is alive.
 */
import { Injectable } from '@nestjs/common';

export type BrokerPhase = 'starting' | 'ready' | 'stopping';

@Injectable()
export class BrokerState {
  private current: BrokerPhase = 'starting';

  get phase(): BrokerPhase {
    return this.current;
  }

  get isReady(): boolean {
    return this.current === 'ready';
  }

  /** STARTING -> READY. Returns false (and changes nothing) if a shutdown already began. */
  markReady(): boolean {
    if (this.current !== 'starting') return false;
    this.current = 'ready';
    return true;
  }

  /** Any state -> STOPPING; idempotent. */
  markStopping(): void {
    this.current = 'stopping';
  }
}
