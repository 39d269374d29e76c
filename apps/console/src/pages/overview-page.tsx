/**
 * Overview: this broker's state and live traffic, from the public /readyz and /metrics (the
 * Prometheus counters sampled every 2 s and turned into rates), and the cluster from
 * GET /v1/cluster: the controller, every broker with its liveness, partitions led and replicas,
 * and offline partitions, and every live broker's disk use (the serving broker asks the others for
 * theirs; one that did not answer it in time is marked with the reason).
 */
import { describeCluster } from '../../../../sdk/src/index.js';
import { call, getText, http, parseMetrics } from '../api.js';
import { Chart } from '../chart.js';
import { formatBytes, formatCount } from '../format.js';
import { usePoll, useRates, useSeries } from '../hooks.js';
import { Card, ErrorNote } from '../widgets.js';

const POLL_MS = 2000;

/** A broker that did not give its disk use to the serving broker: the reason in a word (the message is in the title). */
function diskErrorLabel(code: string): string {
  return code === 'REQUEST_TIMED_OUT' ? 'not answering' : code === 'NETWORK_EXCEPTION' ? 'unreachable' : code;
}

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
        <Card label="Partition logs" value={s === undefined ? '…' : formatCount(s.partitions)} />
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
          <div class="cards">
            <Card label="Brokers alive" value={`${c.brokers.filter((b) => b.alive).length} of ${c.brokers.length}`} testId="cluster-alive" />
            <Card label="Partitions" value={formatCount(c.partitions)} testId="cluster-partitions" />
            <Card label="Offline partitions" value={formatCount(c.offlinePartitions)} testId="cluster-offline" />
          </div>
          <table aria-label="Brokers">
            <thead>
              <tr>
                <th scope="col" class="num">Broker</th>
                <th scope="col">Host</th>
                <th scope="col" class="num">HTTP port</th>
                <th scope="col" class="num">Kafka port</th>
                <th scope="col">Alive</th>
                <th scope="col">Role</th>
                <th scope="col" class="num">Partitions led</th>
                <th scope="col" class="num">Replicas</th>
                <th scope="col" class="num">Disk use</th>
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
                  <td class="num">{formatCount(b.partitionsLed)}</td>
                  <td class="num">{formatCount(b.replicas)}</td>
                  <td class="num">
                    {b.logSizeBytes !== undefined ? (
                      formatBytes(b.logSizeBytes)
                    ) : b.logSizeError !== undefined ? (
                      <span class="error-text" title={b.logSizeError.message} data-testid={`broker-disk-error-${b.brokerId}`}>
                        {diskErrorLabel(b.logSizeError.code)}
                        <span class="visually-hidden">: {b.logSizeError.message}</span>
                      </span>
                    ) : (
                      '–'
                    )}
                  </td>
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
