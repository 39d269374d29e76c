/**
 * Overview: this broker's state and live traffic, from the public /readyz and /metrics (the
 * Prometheus counters sampled every 2 s and turned into rates). The HTTP API has no cluster
 * routes yet, so the page shows the broker that served it.
 */
import { describeCluster } from '../../../../sdk/src/index.js';
import { call, getText, http, parseMetrics } from '../api.js';
import { Chart } from '../chart.js';
import { formatBytes, formatCount } from '../format.js';
import { usePoll, useRates, useSeries } from '../hooks.js';
import { Card, ErrorNote } from '../widgets.js';

const POLL_MS = 2000;

export function OverviewPage() {
  const rates = useRates();
  const records = useSeries(['records in/s']);
  const bytes = useSeries(['bytes in/s', 'bytes out/s']);
  const requests = useSeries(['Kafka requests/s', 'errors/min']);
  const state = usePoll(
    async () => {
      const [ready, metrics] = await Promise.all([getText('/readyz'), getText('/metrics')]);
      const m = parseMetrics(metrics.text);
      const get = (name: string): number => m.get(name) ?? 0;
      const r = rates('broker', {
        recordsIn: get('spool_log_append_records_total'),
        bytesIn: get('spool_log_append_bytes_total'),
        bytesOut: get('spool_log_read_bytes_total'),
        requests: get('spool_kafka_requests_total'),
        errors: get('spool_kafka_request_errors_total'),
      });
      records.push([r.recordsIn]);
      bytes.push([r.bytesIn, r.bytesOut]);
      requests.push([r.requests, r.errors === undefined ? undefined : r.errors * 60]);
      let phase = 'unknown';
      try {
        phase = (JSON.parse(ready.text) as { status: string }).status;
      } catch {
        // a proxy's error page: keep "unknown"
      }
      return { phase, topics: get('spool_topics'), partitions: get('spool_log_partitions'), sizeBytes: get('spool_log_size_bytes'), connections: get('spool_kafka_connections') };
    },
    POLL_MS,
    [],
  );
  const cluster = usePoll(() => call(describeCluster({ client: http })), 5000, []);
  const c = cluster.data;
  const s = state.data;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ErrorNote error={state.error} />
      <h2>This broker</h2>
      <div class="cards">
        <Card label="State" value={s?.phase ?? '…'} testId="broker-state" />
        <Card label="Topics" value={s === undefined ? '…' : formatCount(s.topics)} testId="broker-topics" />
        <Card label="Partitions led" value={s === undefined ? '…' : formatCount(s.partitions)} />
        <Card label="Disk use" value={s === undefined ? '…' : formatBytes(s.sizeBytes)} />
        <Card label="Kafka connections" value={s === undefined ? '…' : formatCount(s.connections)} />
      </div>
      <h2>Cluster</h2>
      <ErrorNote error={cluster.error} />
      {c !== undefined && (
        <>
          <p>
            Mode <strong data-testid="cluster-mode">{c.mode}</strong>
            {c.clusterName != null && <> · cluster {c.clusterName}</>} · controller {c.controller?.brokerId ?? '–'}
          </p>
          <table aria-label="Brokers">
            <thead>
              <tr>
                <th scope="col" class="num">Broker</th>
                <th scope="col">Host</th>
                <th scope="col" class="num">HTTP port</th>
                <th scope="col" class="num">Kafka port</th>
                <th scope="col">Alive</th>
                <th scope="col">Role</th>
              </tr>
            </thead>
            <tbody>
              {c.brokers.map((b) => (
                <tr key={b.brokerId} data-broker={b.brokerId}>
                  <td class="num">{b.brokerId}</td>
                  <td>{b.host}</td>
                  <td class="num">{b.httpPort}</td>
                  <td class="num">{b.kafkaPort}</td>
                  <td>{b.alive ? 'yes' : 'no'}</td>
                  <td>{[b.brokerId === c.controller?.brokerId && 'controller', b.brokerId === c.brokerId && 'this broker', b.controlledShutdown && 'shutting down'].filter(Boolean).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Throughput</h2>
      <div class="charts">
        <Chart title="Records in" series={['records in/s']} data={records.data} />
        <Chart title="Bytes in and out" series={['bytes in/s', 'bytes out/s']} data={bytes.data} format={(v) => `${formatBytes(Math.round(v))}/s`} />
        <Chart title="Kafka requests" series={['Kafka requests/s', 'errors/min']} data={requests.data} />
      </div>
    </section>
  );
}
