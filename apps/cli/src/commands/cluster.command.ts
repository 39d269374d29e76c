/**
 * `spool cluster info`: what the HTTP API tells about the brokers. The API has no cluster or
 * broker route yet (docs/openapi.json), so the summary comes from the topic routes: the broker ids
 * that lead or replicate partitions, how many of each, the topic and partition counts, and how many
 * partitions have no leader (cluster mode, no in-sync replica alive).
 * TODO(#17): show the controller, liveness and disk use once the API serves them.
 */
import type { Command } from 'commander';
import { describeTopic, listTopics, type TopicDescription } from '../../../../sdk/src/index.js';
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
    .description('show the brokers that lead or replicate partitions, and topic and partition counts')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const topics = await describeAll(ctx);
      const brokers = new Map<number, { partitionsLed: number; replicas: number }>();
      const broker = (id: number) => brokers.get(id) ?? brokers.set(id, { partitionsLed: 0, replicas: 0 }).get(id)!;
      let offlinePartitions = 0;
      for (const t of topics) {
        for (const p of t.partitions) {
          // No leader: cluster mode with no in-sync replica alive.
          if (p.leader === null) offlinePartitions++;
          else broker(p.leader).partitionsLed++;
          for (const r of p.replicas) broker(r).replicas++;
        }
      }
      const summary = {
        url: ctx.connection.url,
        topics: topics.length,
        partitions: topics.reduce((n, t) => n + t.partitions.length, 0),
        offlinePartitions,
        brokers: [...brokers].sort(([a], [b]) => a - b).map(([id, b]) => ({ id, partitionsLed: b.partitionsLed, replicas: b.replicas })),
      };
      ctx.output.result(summary, () => renderGeneric(summary));
    });
  registerReassignCommands(cluster, runtime);
}
