/** Shared fixtures for the log tests: temp dirs, a Log on a ManualClock, batch helpers. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, silentLogger, type Logger } from '@spool/common';
import { Log } from './log.js';
import { createLogMetrics, type LogMetrics } from './log-metrics.js';
import { KAFKA_TOPIC_CONFIG_DEFAULTS, type TopicConfig } from './topic-config.js';
import { buildBatch, recordValues, splitBatches } from './test-batches.test-util.js';

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `spool-${prefix}-`));
}

export function testConfig(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return { ...KAFKA_TOPIC_CONFIG_DEFAULTS, ...overrides };
}

export interface TestLogOptions {
  config?: Partial<TopicConfig>;
  clock?: ManualClock;
  recoveryPoint?: number;
  logStartOffset?: number;
  hadCleanShutdown?: boolean;
  metrics?: LogMetrics;
  logger?: Logger;
  highWatermark?: number;
  highWatermarkFollowsLogEnd?: boolean;
  checkpointRecoveryPoint?: () => Promise<void>;
}

export async function openTestLog(dir: string, opts: TestLogOptions = {}): Promise<Log> {
  return Log.open({
    dir,
    topicPartition: { topic: 't', partition: 0 },
    config: testConfig(opts.config),
    recoveryPoint: opts.recoveryPoint ?? 0,
    logStartOffset: opts.logStartOffset ?? 0,
    hadCleanShutdown: opts.hadCleanShutdown ?? true,
    clock: opts.clock ?? new ManualClock(),
    logger: opts.logger ?? silentLogger,
    metrics: opts.metrics ?? createLogMetrics(),
    highWatermark: opts.highWatermark,
    highWatermarkFollowsLogEnd: opts.highWatermarkFollowsLogEnd,
    checkpointRecoveryPoint: opts.checkpointRecoveryPoint,
  });
}

/** A batch of `count` records valued `${prefix}-${i}` at `timestamp`. */
export function batchOf(prefix: string, count: number, timestamp = 1_000): Buffer {
  return buildBatch(Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}`, timestamp })));
}

/** Every record of the log from `from`, read through Log.read in chunks of `maxBytes`. */
export async function readAll(log: Log, from = log.logStartOffset, maxBytes = 4096): Promise<{ offset: number; value: string; timestamp: number }[]> {
  const out: { offset: number; value: string; timestamp: number }[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const result = await log.read(offset, maxBytes);
    if (result.records.length === 0) break;
    for (const batch of splitBatches(result.records)) {
      for (const record of recordValues(batch)) if (record.offset >= offset) out.push(record);
    }
    offset = result.nextOffset;
  }
  return out;
}
