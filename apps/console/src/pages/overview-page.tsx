/**
 * Overview: this broker's state and live traffic, from the public /readyz and /metrics (the
 * Prometheus counters sampled every 2 s and turned into rates). The HTTP API has no cluster
 * routes yet, so the page shows the broker that served it.
 */
import { getText, parseMetrics } from '../api.js';
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
      <p class="muted">Single node: cluster membership and the controller appear here once the HTTP API has routes for them.</p>
      <h2>Throughput</h2>
      <div class="charts">
        <Chart title="Records in" series={['records in/s']} data={records.data} />
        <Chart title="Bytes in and out" series={['bytes in/s', 'bytes out/s']} data={bytes.data} format={(v) => `${formatBytes(Math.round(v))}/s`} />
        <Chart title="Kafka requests" series={['Kafka requests/s', 'errors/min']} data={requests.data} />
      </div>
    </section>
  );
}
