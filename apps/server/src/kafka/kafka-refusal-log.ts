/**
 * Logs each refused Kafka request at warn, with who sent it (client id, software name and
 * version from ApiVersions, address), what (API, version) and why, so an operator watching a
 * client reconnect in a loop finds the reason in the log.
 *
 * Rate limit: one line per (reason, API, version, client id, software) per `intervalMs`. The
 * first refusal of a key is logged at once; later ones within the interval are counted, and the
 * next line of that key says how many were suppressed since the last one (`suppressed`). Keys are
 * bounded (`maxKeys`): past it, expired keys are dropped (with their suppressed count; the metric
 * keeps the total), and if none has expired every new key shares one overflow key, so a flood of distinct hostile clients costs one line per interval.
 * spool_kafka_refusals_total counts every refusal, logged or not.
 */
import type { Clock, Logger } from '@spool/common';
import type { KafkaRefusal, KafkaRequestObserver } from './kafka-request-observer.js';

export interface KafkaRefusalLogOptions {
  readonly intervalMs: number;
  readonly maxKeys: number;
}

export const DEFAULT_REFUSAL_LOG_OPTIONS: KafkaRefusalLogOptions = { intervalMs: 60_000, maxKeys: 1_000 };

const OVERFLOW_KEY = '*';

interface Window {
  /** When the last line of this key was written. */
  loggedAtMs: number;
  suppressed: number;
}

export class KafkaRefusalLog implements KafkaRequestObserver {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly options: KafkaRefusalLogOptions = DEFAULT_REFUSAL_LOG_OPTIONS,
  ) {}

  refused(refusal: KafkaRefusal): void {
    const { connection, clientId } = refusal;
    const software = connection.clientSoftware;
    const now = this.clock.now();
    const key = this.keyFor([refusal.reason, refusal.apiKey, refusal.apiVersion, clientId, software.name, software.version].join('\u0000'), now);
    const window = this.windows.get(key);
    if (window !== undefined && now - window.loggedAtMs < this.options.intervalMs) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.set(key, { loggedAtMs: now, suppressed: 0 });
    this.logger.warn(
      {
        reason: refusal.reason,
        request: refusal.apiName,
        apiKey: refusal.apiKey,
        apiVersion: refusal.apiVersion,
        clientId,
        clientSoftwareName: software.name,
        clientSoftwareVersion: software.version,
        clientAddress: connection.clientAddress,
        connectionId: connection.connectionId,
        closesConnection: refusal.closesConnection,
        suppressed,
        ...(key === OVERFLOW_KEY && { overflow: true }),
      },
      `kafka request refused: ${refusal.detail}`,
    );
  }

  private keyFor(key: string, now: number): string {
    if (this.windows.has(key) || this.windows.size < this.options.maxKeys) return key;
    for (const [k, w] of this.windows) {
      if (now - w.loggedAtMs >= this.options.intervalMs) this.windows.delete(k);
    }
    return this.windows.size < this.options.maxKeys ? key : OVERFLOW_KEY;
  }
}
