/**
 * Prometheus metrics. The log engine keeps plain counters (no prom-client in libs); they are
 * read at scrape time by `collect` callbacks, so the append path pays nothing for metrics.
 * Counters are process-local and start at 0 on every boot, as Prometheus expects of counters.
 *
 * Each app instance has its own Registry (not prom-client's global one), so tests can boot
 * several apps in one process.
 */
import { Injectable } from '@nestjs/common';
import type { LogManager } from '@spool/log-engine';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { BrokerState } from '../health/broker-state.js';
import { LogEngine } from '../log/log-engine.service.js';

type LogMetricsSnapshot = LogManager['metrics'] & { logBytes: number; topics: number; offlinePartitions: number; offlineLogDirs: number };

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(
    private readonly engine: LogEngine,
    private readonly state: BrokerState,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.registerBrokerMetrics();
    this.registerLogMetrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private registerBrokerMetrics(): void {
    const state = this.state;
    new Gauge({
      name: 'spool_broker_ready',
      help: '1 once every partition is open and the broker serves, 0 while starting or stopping.',
      registers: [this.registry],
      collect() {
        this.set(state.isReady ? 1 : 0);
      },
    });
  }

  private registerLogMetrics(): void {
    const read = (): LogMetricsSnapshot | undefined => this.snapshot();
    const registers = [this.registry];
    const counter = (name: string, help: string, pick: (s: LogMetricsSnapshot) => number): void => {
      new Counter({
        name, help, registers,
        collect() {
          // The engine's counter is the source of truth: mirror it (reset + inc, Counter has no set).
          this.reset();
          const snapshot = read();
          if (snapshot !== undefined) this.inc(pick(snapshot));
        },
      });
    };
    const gauge = (name: string, help: string, pick: (s: LogMetricsSnapshot) => number): void => {
      new Gauge({
        name, help, registers,
        collect() {
          const snapshot = read();
          this.set(snapshot === undefined ? 0 : pick(snapshot));
        },
      });
    };

    counter('spool_log_append_records_total', 'Records appended to all partitions.', (s) => s.appendRecords);
    counter('spool_log_append_batches_total', 'Record batches appended to all partitions.', (s) => s.appendBatches);
    counter('spool_log_append_bytes_total', 'Record batch bytes appended to .log files.', (s) => s.appendBytes);
    counter('spool_log_read_bytes_total', 'Record batch bytes returned by reads.', (s) => s.readBytes);
    counter('spool_log_fsyncs_total', 'fdatasync calls on .log files (a group commit counts once).', (s) => s.fsyncs);
    counter('spool_log_fsynced_appends_total', 'Appends acknowledged only after an fdatasync covered them (flush.messages).', (s) => s.fsyncedAppends);
    counter('spool_log_recovery_truncated_bytes_total', 'Bytes cut from torn or corrupt segment tails by recovery at start-up.', (s) => s.truncatedBytesOnRecovery);
    gauge('spool_log_partitions', 'Partition logs open on this broker.', (s) => s.partitions);
    gauge('spool_log_size_bytes', 'Bytes of all partition logs.', (s) => s.logBytes);
    gauge('spool_log_recovery_seconds', 'Time the last start-up took to load and recover every partition.', (s) => s.recoveryMs / 1000);
    gauge('spool_topics', 'Topics on this broker.', (s) => s.topics);
    // Kafka's OfflinePartitionsCount, for this broker's logs: offline after a storage error.
    gauge('spool_offline_partitions', 'Partition logs offline after a storage error (full or failing disk, read-only file system, failed fsync).', (s) => s.offlinePartitions);
    // Kafka's OfflineLogDirectoryCount (SPOOL_LOG_DIRS): directories taken offline after a failed probe.
    gauge('spool_offline_log_dirs', 'Log directories offline after a storage error; their partitions are offline too.', (s) => s.offlineLogDirs);
  }

  private snapshot(): LogMetricsSnapshot | undefined {
    const manager = this.engine.openManager;
    if (manager === undefined) return undefined;
    return {
      ...manager.metrics,
      logBytes: manager.logBytes(),
      topics: manager.listTopics().length,
      offlinePartitions: manager.offlinePartitions().length,
      offlineLogDirs: manager.logDirs().filter((d) => d.offline !== null).length,
    };
  }
}
