/**
 * `spool cluster info`: GET /v1/cluster (mode, cluster id, controller, every broker with its
 * liveness, addresses, partitions led and replicas, the partition and offline partition counts)
 * and the topic count from GET /v1/topics. Disk use: a broker reports only its own, so the CLI
 * asks every live broker's GET /v1/cluster at its advertised HTTP address (same scheme and
 * credential, a short bound); a broker it cannot reach shows no figure, with a note.
 */
import type { Command } from 'commander';
import { describeCluster, listTopics, spoolClient, type ClusterBroker } from '../../../../sdk/src/index.js';
import { BrokerApi } from '../api/broker-api.js';
import { Context, type Runtime } from '../context.js';
import { renderFields, renderTable, type Column } from '../output/table.js';
import { registerReassignCommands } from './reassign.command.js';

type Scalar = string | number | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/** A table for any object shape: scalar fields as `key: value`, arrays of objects as tables. */
export function renderGeneric(data: Record<string, unknown>): string {
  const fields = Object.entries(data).filter(([, v]) => isScalar(v)) as Array<[string, Scalar]>;
  let out = fields.length > 0 ? renderFields(fields) : '';
  for (const [key, value] of Object.entries(data)) {
    if (isScalar(value)) continue;
    if (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      const rows = value as Array<Record<string, unknown>>;
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const columns: Column<Record<string, unknown>>[] = keys.map((k) => ({
        header: k.replace(/([a-z])([A-Z])/g, '$1-$2').toUpperCase(),
        value: (r) => (isScalar(r[k]) ? (r[k] as Scalar) : r[k] === undefined ? undefined : JSON.stringify(r[k])),
      }));
      out += `\n${key}:\n${rows.length > 0 ? renderTable(rows, columns) : '(none)\n'}`;
    } else {
      out += `${key}: ${JSON.stringify(value)}\n`;
    }
  }
  return out;
}

/** A broker's own disk use, from its own GET /v1/cluster; undefined if it cannot be reached in time. */
async function diskUseOf(ctx: Context, broker: ClusterBroker, answeredBy: number, answered: ClusterBroker | undefined): Promise<number | undefined> {
  if (broker.brokerId === answeredBy) return answered?.logSizeBytes;
  if (!broker.alive || broker.host === undefined || broker.httpPort === undefined) return undefined;
  const url = `${new URL(ctx.connection.url).protocol}//${broker.host.includes(':') ? `[${broker.host}]` : broker.host}:${broker.httpPort}`;
  try {
    const client = spoolClient(url, { headers: BrokerApi.headers(ctx.connection) });
    const { data } = await describeCluster({ client, signal: AbortSignal.timeout(Math.min(ctx.connection.timeoutMs, 5000)) });
    return data?.brokers.find((b) => b.brokerId === broker.brokerId)?.logSizeBytes;
  } catch {
    return undefined;
  }
}

export function registerClusterCommands(program: Command, runtime: Runtime): void {
  const cluster = program.command('cluster').description('the brokers behind the HTTP API');
  cluster
    .command('info')
    .description('show the cluster (mode, id, controller), its brokers with liveness and the partitions each leads, and topic and partition counts')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const [described, { topics }] = await Promise.all([ctx.api.call((base) => describeCluster(base)), ctx.api.call((base) => listTopics(base))]);
      const answered = described.brokers.find((b) => b.brokerId === described.brokerId);
      const disk = await Promise.all(described.brokers.map((b) => diskUseOf(ctx, b, described.brokerId, answered)));
      const unreachable = described.brokers.filter((b, i) => b.alive && disk[i] === undefined).map((b) => b.brokerId);
      if (unreachable.length > 0) ctx.output.note(`no disk use for broker${unreachable.length === 1 ? '' : 's'} ${unreachable.join(', ')}: its HTTP address did not answer from here`);
      const summary = {
        url: ctx.connection.url,
        mode: described.mode,
        clusterName: described.clusterName,
        clusterId: described.clusterId,
        answeredBy: described.brokerId,
        controller: described.controller?.brokerId ?? null,
        controllerEpoch: described.controller?.controllerEpoch ?? null,
        topics: topics.length,
        partitions: described.partitions,
        offlinePartitions: described.offlinePartitions,
        brokers: described.brokers.map((b, i) => ({
          id: b.brokerId,
          alive: b.alive,
          controller: described.controller?.brokerId === b.brokerId,
          host: b.host ?? null,
          httpPort: b.httpPort ?? null,
          kafkaPort: b.kafkaPort ?? null,
          rack: b.rack ?? null,
          partitionsLed: b.partitionsLed,
          replicas: b.replicas,
          logSizeBytes: disk[i] ?? null,
        })),
      };
      ctx.output.result(summary, () => renderGeneric(summary));
    });
  registerReassignCommands(cluster, runtime);
}
