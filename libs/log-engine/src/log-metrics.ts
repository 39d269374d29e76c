/**
 * Counters the logs of one LogManager share and the server exports (Prometheus, /metrics).
 * Plain mutable numbers: incrementing is a field add on the hot path, and the exporter reads
 * them when scraped. All are monotonic totals except `partitions` and `recoveryMs` (gauges).
 */
export interface LogMetrics {
  /** Records appended (sum of batch recordCount). */
  appendRecords: number;
  /** Bytes appended to .log files. */
  appendBytes: number;
  /** Record batches appended. */
  appendBatches: number;
  /** Bytes returned by reads. */
  readBytes: number;
  /** fdatasync calls on .log files (group commits count once). */
  fsyncs: number;
  /** Appends acknowledged only after an fdatasync covered them (flush.messages reached). */
  fsyncedAppends: number;
  /** Bytes cut from torn or corrupt segment tails by recovery. */
  truncatedBytesOnRecovery: number;
  /** Milliseconds spent loading and recovering logs at the last open (LogManager sets the total). */
  recoveryMs: number;
  /** Partition logs currently open (set by LogManager). */
  partitions: number;
}

export function createLogMetrics(): LogMetrics {
  return {
    appendRecords: 0,
    appendBytes: 0,
    appendBatches: 0,
    readBytes: 0,
    fsyncs: 0,
    fsyncedAppends: 0,
    truncatedBytesOnRecovery: 0,
    recoveryMs: 0,
    partitions: 0,
  };
}

/**
 * What one partition's log has taken in and given out since it was opened in this process (Kafka's
 * per-topic BrokerTopicMetrics: MessagesIn, BytesIn, BytesOut). Monotonic; the server turns them
 * into rates by sampling.
 */
export interface LogTraffic {
  /** Records appended. */
  appendRecords: number;
  /** Record batch bytes appended. */
  appendBytes: number;
  /** Record batch bytes returned by reads (consumers of every face, and followers). */
  readBytes: number;
}

export function createLogTraffic(): LogTraffic {
  return { appendRecords: 0, appendBytes: 0, readBytes: 0 };
}
