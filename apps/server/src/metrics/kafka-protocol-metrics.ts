/**
 * Prometheus metrics of the Kafka listener, fed by its observer events (kafka-request-observer.ts).
 * Named after Kafka's own RequestMetrics and socket-server metrics, so a Kafka operator finds
 * the familiar ones:
 *
 *   spool_kafka_requests_total{request,version}            RequestsPerSec
 *   spool_kafka_request_errors_total{request,error}        ErrorsPerSec (error="NONE" included,
 *                                                          one per error code in the response)
 *   spool_kafka_request_total_time_seconds{request,version} TotalTimeMs, a histogram
 *   spool_kafka_request_bytes_total{request,version}       RequestBytes (frames as read)
 *   spool_kafka_response_bytes_total{request,version}      bytes of the response frames
 *   spool_kafka_connections{client_software_name,client_software_version}
 *                                                          socket-server `connections` (KIP-511)
 *   spool_kafka_connections_created_total                  connection-creation-total
 *   spool_kafka_refusals_total{reason,request}             refused requests (see kafka-refusal-log.ts)
 *
 * Label values are bounded: `request` and `version` only for versions Kafka defines (refusals of
 * other versions are counted by reason, without a version), errors by Kafka's names. The client
 * software is whatever the client sends, so at most `maxSoftwareSeries` name/version pairs get a
 * series of their own; more share `other`. A connection that has not sent ApiVersions v3+ counts
 * as `unknown`.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { kafkaErrorByCode } from '@spool/protocol';
import type { ConnectionInfo } from '../kafka/kafka-connection.js';
import type { KafkaRefusal, KafkaRequestObservation, KafkaRequestObserver } from '../kafka/kafka-request-observer.js';

/** Seconds: sub-millisecond produce acks up to long-polls and rebalances (JoinGroup waits). */
const TIME_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const UNKNOWN = 'unknown';
const OTHER = 'other';

export class KafkaProtocolMetrics implements KafkaRequestObserver {
  private readonly requests: Counter<'request' | 'version'>;
  private readonly errors: Counter<'request' | 'error'>;
  private readonly totalTime: Histogram<'request' | 'version'>;
  private readonly requestBytes: Counter<'request' | 'version'>;
  private readonly responseBytes: Counter<'request' | 'version'>;
  private readonly connections: Gauge<'client_software_name' | 'client_software_version'>;
  private readonly connectionsCreated: Counter;
  private readonly refusals: Counter<'reason' | 'request'>;
  /** Open connections per software series, to drop a series when it reaches 0. */
  private readonly openBySeries = new Map<string, number>();
  /** The series each open connection is counted under. */
  private readonly countedAs = new Map<number, { key: string; labels: Record<'client_software_name' | 'client_software_version', string> }>();

  constructor(
    registry: Registry,
    private readonly maxSoftwareSeries = 100,
  ) {
    const registers = [registry];
    this.requests = new Counter({ name: 'spool_kafka_requests_total', help: 'Kafka requests answered, per API and version (Kafka RequestsPerSec).', labelNames: ['request', 'version'], registers });
    this.errors = new Counter({
      name: 'spool_kafka_request_errors_total',
      help: 'Error codes in Kafka responses, per API and error name, NONE included (Kafka ErrorsPerSec: one per code in the response, e.g. per partition).',
      labelNames: ['request', 'error'],
      registers,
    });
    this.totalTime = new Histogram({
      name: 'spool_kafka_request_total_time_seconds',
      help: 'Time from a Kafka request frame being read to its response being ready, long polls included (Kafka TotalTimeMs).',
      labelNames: ['request', 'version'],
      buckets: TIME_BUCKETS,
      registers,
    });
    this.requestBytes = new Counter({ name: 'spool_kafka_request_bytes_total', help: 'Bytes of Kafka request frames, size prefix included (Kafka RequestBytes).', labelNames: ['request', 'version'], registers });
    this.responseBytes = new Counter({ name: 'spool_kafka_response_bytes_total', help: 'Bytes of Kafka response frames, size prefix included.', labelNames: ['request', 'version'], registers });
    this.connections = new Gauge({
      name: 'spool_kafka_connections',
      help: 'Open Kafka connections by the client software named in ApiVersions v3+ (KIP-511; "unknown" before or without it).',
      labelNames: ['client_software_name', 'client_software_version'],
      registers,
    });
    this.connectionsCreated = new Counter({ name: 'spool_kafka_connections_created_total', help: 'Kafka connections accepted.', registers });
    this.refusals = new Counter({
      name: 'spool_kafka_refusals_total',
      help: 'Kafka requests refused, by reason (unsupported_api, unsupported_version, undecodable, unsupported_message_format, frame_too_large, unauthenticated, unauthorized) and API ("unknown" when the header did not decode).',
      labelNames: ['reason', 'request'],
      registers,
    });
  }

  connectionOpened(connection: ConnectionInfo): void {
    this.connectionsCreated.inc();
    this.count(connection);
  }

  connectionClosed(connection: ConnectionInfo): void {
    this.uncount(connection);
  }

  clientSoftwareChanged(connection: ConnectionInfo): void {
    this.uncount(connection);
    this.count(connection);
  }

  requestCompleted(o: KafkaRequestObservation): void {
    const labels = { request: o.apiName, version: String(o.apiVersion) };
    this.requests.inc(labels);
    this.totalTime.observe(labels, o.durationMs / 1000);
    this.requestBytes.inc(labels, o.requestBytes);
    if (o.responseBytes > 0) this.responseBytes.inc(labels, o.responseBytes);
    for (const [code, count] of o.errorCounts) {
      this.errors.inc({ request: o.apiName, error: kafkaErrorByCode(code)?.name ?? String(code) }, count);
    }
  }

  refused(refusal: KafkaRefusal): void {
    this.refusals.inc({ reason: refusal.reason, request: refusal.apiName ?? UNKNOWN });
  }

  /** Counts the connection under its software's series (or `other` once the series are all taken). */
  private count(connection: ConnectionInfo): void {
    const { name, version } = connection.clientSoftware;
    let key = `${name ?? UNKNOWN}\u0000${version ?? UNKNOWN}`;
    let labels = { client_software_name: name ?? UNKNOWN, client_software_version: version ?? UNKNOWN };
    if (!this.openBySeries.has(key) && this.openBySeries.size >= this.maxSoftwareSeries) {
      key = `${OTHER}\u0000${OTHER}`;
      labels = { client_software_name: OTHER, client_software_version: OTHER };
    }
    this.countedAs.set(connection.connectionId, { key, labels });
    const open = (this.openBySeries.get(key) ?? 0) + 1;
    this.openBySeries.set(key, open);
    this.connections.set(labels, open);
  }

  private uncount(connection: ConnectionInfo): void {
    const counted = this.countedAs.get(connection.connectionId);
    if (counted === undefined) return;
    this.countedAs.delete(connection.connectionId);
    const open = (this.openBySeries.get(counted.key) ?? 1) - 1;
    if (open <= 0) {
      this.openBySeries.delete(counted.key);
      this.connections.remove(counted.labels);
    } else {
      this.openBySeries.set(counted.key, open);
      this.connections.set(counted.labels, open);
    }
  }
}
