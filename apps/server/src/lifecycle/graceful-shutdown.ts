/**
 * Graceful shutdown on SIGTERM / SIGINT, in this order:
 *   1. readiness turns "stopping" (503), so load balancers stop routing here;
 *   2. cluster mode: controlled shutdown (the controller moves this broker's leaderships to other
 *      in-sync replicas while it still serves, so clients follow them; cluster.service.ts);
 *   3. wait SPOOL_SHUTDOWN_DRAIN_DELAY_MS (0 by default) for them to notice;
 *   4. app.close(): the broker resigns and deregisters from the cluster (cluster mode), Nest
 *      closes the HTTP listener (no new connections; in-flight requests finish, idle keep-alive
 *      sockets are closed), then runs onApplicationShutdown hooks, where
 *      LogEngine drains in-flight appends and closes the LogManager (flush, checkpoints,
 *      clean-shutdown marker);
 *   5. exit 0, or 1 if a step failed or SPOOL_SHUTDOWN_TIMEOUT_MS passed first.
 *
 * Not Nest's enableShutdownHooks(): after closing it re-raises the signal, so the process ends
 * "killed by SIGTERM" rather than with exit code 0, and it has no deadline. A second signal
 * during shutdown is logged and ignored; the deadline bounds a stuck close.
 */
import type { INestApplication } from '@nestjs/common';
import type { BrokerState } from '../health/broker-state.js';
import type { RootLogger } from '../logging/create-root-logger.js';

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface GracefulShutdownOptions {
  readonly timeoutMs: number;
  readonly drainDelayMs: number;
  /** Step 2, before app.close(); must not throw (failures are its own to log). */
  readonly leaveCluster?: () => Promise<void>;
}

export class GracefulShutdown {
  private inProgress: Promise<never> | undefined;
  /** Raised to 1 by any failure reported while shutting down (e.g. start-up failing meanwhile). */
  private exitCode: 0 | 1 = 0;
  private readonly logger: RootLogger;
  private readonly listeners = new Map<NodeJS.Signals, () => void>();

  constructor(
    private readonly app: INestApplication,
    private readonly state: BrokerState,
    rootLogger: RootLogger,
    private readonly options: GracefulShutdownOptions,
  ) {
    this.logger = rootLogger.child({ component: 'shutdown' });
  }

  install(): void {
    for (const signal of SHUTDOWN_SIGNALS) {
      const listener = (): void => void this.shutdown(signal, 0);
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  /**
   * Shuts down once and exits the process with `exitCode` (1 instead if shutdown fails or
   * times out). Later calls return the same promise; one with exit code 1 makes the exit code 1.
   */
  shutdown(reason: string, exitCode: 0 | 1): Promise<never> {
    if (exitCode === 1) this.exitCode = 1;
    if (this.inProgress !== undefined) {
      this.logger.warn({ reason }, 'shutdown already in progress; ignoring');
      return this.inProgress;
    }
    this.inProgress = this.run(reason);
    return this.inProgress;
  }

  private async run(reason: string): Promise<never> {
    const started = performance.now();
    this.logger.info({ reason, timeoutMs: this.options.timeoutMs, drainDelayMs: this.options.drainDelayMs }, 'shutdown started');
    const deadline = setTimeout(() => {
      this.logger.fatal({ timeoutMs: this.options.timeoutMs }, 'shutdown timed out; exiting without a clean shutdown');
      process.exit(1);
    }, this.options.timeoutMs);
    deadline.unref();

    this.state.markStopping();
    try {
      await this.options.leaveCluster?.();
      if (this.options.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.drainDelayMs));
      await this.app.close();
    } catch (err) {
      this.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    for (const [signal, listener] of this.listeners) process.off(signal, listener);
    this.logger.info({ exitCode: this.exitCode, shutdownMs: Math.round(performance.now() - started) }, 'shutdown complete');
    process.exit(this.exitCode);
  }
}
