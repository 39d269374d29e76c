/**
 * `spool cluster info`: GET /v1/cluster (mode, cluster id, controller, every broker with its
 * liveness and addresses) joined with the topic routes, which say how many partitions each broker
 * leads and replicates and how many have no leader (cluster mode, no in-sync replica alive).
 * The HTTP API tells no per-broker disk use yet (each broker knows only its own logs), so none is shown.
 */
import type { Command } from 'commander';
import { describeCluster, describeTopic, listTopics, type TopicDescription } from '../../../../sdk/src/index.js';
import { CliError } from '../cli.error.js';
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

async function describeAll(ctx: Context): Promise<TopicDescription[]> {
  const { topics } = await ctx.api.call((base) => listTopics(base));
  const out: TopicDescription[] = [];
  // A few at a time: a broker with thousands of topics should not get thousands of requests at once.
  for (let i = 0; i < topics.length; i += 8) {
    const batch = await Promise.all(
      topics.slice(i, i + 8).map((t) =>
        ctx.api.call((base) => describeTopic({ ...base, path: { topic: t.name } })).catch((err: unknown) => {
          if (err instanceof CliError && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined; // deleted meanwhile
          throw err;
        }),
      ),
    );
    for (const d of batch) if (d !== undefined) out.push(d);
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
      const [described, topics] = await Promise.all([ctx.api.call((base) => describeCluster(base)), describeAll(ctx)]);
      const counts = new Map<number, { partitionsLed: number; replicas: number }>();
      const count = (id: number) => counts.get(id) ?? counts.set(id, { partitionsLed: 0, replicas: 0 }).get(id)!;
      let offlinePartitions = 0;
      for (const t of topics) {
        for (const p of t.partitions) {
          // No leader: cluster mode with no in-sync replica alive.
          if (p.leader === null) offlinePartitions++;
          else count(p.leader).partitionsLed++;
          for (const r of p.replicas) count(r).replicas++;
        }
      }
      const ids = [...new Set([...described.brokers.map((b) => b.brokerId), ...counts.keys()])].sort((a, b) => a - b);
      const summary = {
        url: ctx.connection.url,
        mode: described.mode,
        clusterName: described.clusterName,
        clusterId: described.clusterId,
        answeredBy: described.brokerId,
        controller: described.controller?.brokerId ?? null,
        controllerEpoch: described.controller?.controllerEpoch ?? null,
        topics: topics.length,
        partitions: topics.reduce((n, t) => n + t.partitions.length, 0),
        offlinePartitions,
        brokers: ids.map((id) => {
          const b = described.brokers.find((x) => x.brokerId === id);
          return {
            id,
            alive: b?.alive ?? false,
            controller: described.controller?.brokerId === id,
            host: b?.host ?? null,
            httpPort: b?.httpPort ?? null,
            kafkaPort: b?.kafkaPort ?? null,
            rack: b?.rack ?? null,
            partitionsLed: counts.get(id)?.partitionsLed ?? 0,
            replicas: counts.get(id)?.replicas ?? 0,
          };
        }),
      };
      ctx.output.result(summary, () => renderGeneric(summary));
    });
  registerReassignCommands(cluster, runtime);
}
