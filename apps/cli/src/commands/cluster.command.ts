/**
 * `spool cluster info`: GET /v1/cluster (mode, cluster id, controller, every broker with its
 * liveness, addresses, partitions led and replicas, the partition and offline partition counts)
 * and the topic count from GET /v1/topics. Disk use comes in the same answer: in cluster mode the
 * broker asked collects every live broker's own figure, and names the ones that did not answer it
 * in time (logSizeError), which the CLI notes on stderr.
 */
import type { Command } from 'commander';
import { describeCluster, listTopics } from '../../../../sdk/src/index.js';
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

export function registerClusterCommands(program: Command, runtime: Runtime): void {
  const cluster = program.command('cluster').description('the brokers behind the HTTP API');
  cluster
    .command('info')
    .description('show the cluster (mode, id, controller), its brokers with liveness and the partitions each leads, and topic and partition counts')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const [described, { topics }] = await Promise.all([ctx.api.call((base) => describeCluster(base)), ctx.api.call((base) => listTopics(base))]);
      for (const b of described.brokers) {
        if (b.logSizeError !== undefined) ctx.output.warn(`no disk use for broker ${b.brokerId}: ${b.logSizeError.code}: ${b.logSizeError.message}`);
      }
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
        brokers: described.brokers.map((b) => ({
          id: b.brokerId,
          alive: b.alive,
          controller: described.controller?.brokerId === b.brokerId,
          host: b.host ?? null,
          httpPort: b.httpPort ?? null,
          kafkaPort: b.kafkaPort ?? null,
          rack: b.rack ?? null,
          partitionsLed: b.partitionsLed,
          replicas: b.replicas,
          logSizeBytes: b.logSizeBytes ?? null,
          // Only when a broker did not answer: the table grows the column only then.
          ...(b.logSizeError !== undefined && { logSizeError: b.logSizeError.code }),
        })),
      };
      ctx.output.result(summary, () => renderGeneric(summary));
    });
  registerReassignCommands(cluster, runtime);
}
