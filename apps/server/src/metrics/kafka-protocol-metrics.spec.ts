import { Registry } from 'prom-client';
import type { ClientSoftware } from '../kafka/kafka-request-observer.js';
import type { ConnectionInfo } from '../kafka/kafka-connection.js';
import { KafkaProtocolMetrics } from './kafka-protocol-metrics.js';

class FakeConnectionInfo implements ConnectionInfo {
  readonly clientHost = '127.0.0.1';
  readonly clientAddress: string;
  readonly signal = new AbortController().signal;
  clientSoftware: ClientSoftware = { name: null, version: null };
  constructor(
    readonly connectionId: number,
    private readonly metrics: KafkaProtocolMetrics,
  ) {
    this.clientAddress = `127.0.0.1:${connectionId}`;
  }
  identifyClientSoftware(software: ClientSoftware): void {
    this.clientSoftware = software;
    this.metrics.clientSoftwareChanged(this);
  }
  destroy(): void {}
  closeAfterResponses(): void {}
}

async function series(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)!.get();
  return Object.fromEntries(metric.values.map((v) => [JSON.stringify(v.labels), v.value]));
}

describe('KafkaProtocolMetrics', () => {
  it('counts open connections by client software, moving a connection once ApiVersions names it', async () => {
    const registry = new Registry();
    const metrics = new KafkaProtocolMetrics(registry);
    const a = new FakeConnectionInfo(1, metrics);
    const b = new FakeConnectionInfo(2, metrics);
    metrics.connectionOpened(a);
    metrics.connectionOpened(b);
    expect(await series(registry, 'spool_kafka_connections')).toEqual({ [JSON.stringify({ client_software_name: 'unknown', client_software_version: 'unknown' })]: 2 });
    a.identifyClientSoftware({ name: 'librdkafka', version: '2.15.1' });
    expect(await series(registry, 'spool_kafka_connections')).toEqual({
      [JSON.stringify({ client_software_name: 'unknown', client_software_version: 'unknown' })]: 1,
      [JSON.stringify({ client_software_name: 'librdkafka', client_software_version: '2.15.1' })]: 1,
    });
    metrics.connectionClosed(a);
    metrics.connectionClosed(b);
    expect(await series(registry, 'spool_kafka_connections')).toEqual({});
    expect(await series(registry, 'spool_kafka_connections_created_total')).toEqual({ '{}': 2 });
  });

  it('gives at most maxSoftwareSeries software series their own labels; the rest count as other', async () => {
    const registry = new Registry();
    const metrics = new KafkaProtocolMetrics(registry, 2);
    const conns = [1, 2, 3, 4].map((id) => new FakeConnectionInfo(id, metrics));
    conns.forEach((c, i) => {
      c.clientSoftware = { name: `client${i}`, version: '1' };
      metrics.connectionOpened(c);
    });
    expect(Object.values(await series(registry, 'spool_kafka_connections'))).toEqual([1, 1, 2]);
    expect(Object.keys(await series(registry, 'spool_kafka_connections'))[2]).toBe(JSON.stringify({ client_software_name: 'other', client_software_version: 'other' }));
    for (const c of conns) metrics.connectionClosed(c);
    expect(await series(registry, 'spool_kafka_connections')).toEqual({});
  });

  it('counts requests, error codes by name, bytes and time per API and version', async () => {
    const registry = new Registry();
    const metrics = new KafkaProtocolMetrics(registry);
    const conn = new FakeConnectionInfo(1, metrics);
    const observation = { connection: conn, apiKey: 0, apiName: 'Produce', apiVersion: 9, clientId: 'p', requestBytes: 120, responseBytes: 60, durationMs: 3, errorCounts: new Map([[0, 2], [3, 1]]) };
    metrics.requestCompleted(observation);
    metrics.requestCompleted({ ...observation, durationMs: 2_000 });
    const labels = JSON.stringify({ request: 'Produce', version: '9' });
    expect(await series(registry, 'spool_kafka_requests_total')).toEqual({ [labels]: 2 });
    expect(await series(registry, 'spool_kafka_request_bytes_total')).toEqual({ [labels]: 240 });
    expect(await series(registry, 'spool_kafka_response_bytes_total')).toEqual({ [labels]: 120 });
    expect(await series(registry, 'spool_kafka_request_errors_total')).toEqual({
      [JSON.stringify({ request: 'Produce', error: 'NONE' })]: 4,
      [JSON.stringify({ request: 'Produce', error: 'UNKNOWN_TOPIC_OR_PARTITION' })]: 2,
    });
    const text = await registry.metrics();
    expect(text).toContain('spool_kafka_request_total_time_seconds_bucket{le="0.005",request="Produce",version="9"} 1');
    expect(text).toContain('spool_kafka_request_total_time_seconds_bucket{le="2.5",request="Produce",version="9"} 2');
    expect(text).toContain('spool_kafka_request_total_time_seconds_count{request="Produce",version="9"} 2');
  });

  it('counts refusals by reason and API', async () => {
    const registry = new Registry();
    const metrics = new KafkaProtocolMetrics(registry);
    const conn = new FakeConnectionInfo(1, metrics);
    const base = { connection: conn, apiKey: null, apiName: null, apiVersion: null, clientId: null, detail: '', closesConnection: true };
    metrics.refused({ ...base, reason: 'frame_too_large' });
    metrics.refused({ ...base, reason: 'unsupported_version', apiKey: 3, apiName: 'Metadata', apiVersion: 99 });
    metrics.refused({ ...base, reason: 'unsupported_version', apiKey: 3, apiName: 'Metadata', apiVersion: 98 });
    expect(await series(registry, 'spool_kafka_refusals_total')).toEqual({
      [JSON.stringify({ reason: 'frame_too_large', request: 'unknown' })]: 1,
      [JSON.stringify({ reason: 'unsupported_version', request: 'Metadata' })]: 2,
    });
  });
});
