/**
 * `spool topic create|list|describe|alter|delete`: kafka-topics.sh's jobs over the HTTP API's topic
 * routes (createTopic, listTopics, describeTopic, alterTopicConfigs, createPartitions, deleteTopic).
 */
import { Command, Option } from 'commander';
import { alterTopicConfigs, createPartitions, createTopic, deleteTopic, describeTopic, listTopics, type TopicDescription } from '../../../../sdk/src/index.js';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { renderFields, renderTable } from '../output/table.js';
import { collect, parseIntOption, parsePairs } from './options.js';

function describeText(t: TopicDescription): string {
  const head = renderFields([
    ['Topic', t.name],
    ['Id', t.id],
    ['Partitions', t.partitions.length],
    ['Records', t.partitions.reduce((n, p) => n + (p.highWatermark - p.logStartOffset), 0)],
    ['Size', t.partitions.reduce((n, p) => n + p.size, 0)],
  ]);
  const partitions = renderTable(t.partitions, [
    { header: 'PARTITION', value: (p) => p.partition },
    { header: 'LEADER', value: (p) => p.leader },
    { header: 'REPLICAS', value: (p) => p.replicas.join(','), align: 'left' },
    { header: 'ISR', value: (p) => p.isr.join(','), align: 'left' },
    { header: 'LOG-START-OFFSET', value: (p) => p.logStartOffset },
    { header: 'HIGH-WATERMARK', value: (p) => p.highWatermark },
    { header: 'SIZE', value: (p) => p.size },
  ]);
  const configs = renderTable(Object.entries(t.configs).sort(([a], [b]) => a.localeCompare(b)), [
    { header: 'CONFIG', value: ([k]) => k },
    { header: 'VALUE', value: ([, v]) => v, align: 'left' },
  ]);
  return `${head}\n${partitions}\n${configs}`;
}

function atLeastOne(what: string, values: unknown[]): void {
  if (values.every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) throw new CliError(`nothing to change: give ${what}`, ExitCode.USAGE, 'see `spool topic alter --help`', 'USAGE');
}

export function registerTopicCommands(program: Command, runtime: Runtime): void {
  const topic = program.command('topic').description('create, list, describe, alter and delete topics');

  topic
    .command('create')
    .description('create a topic')
    .argument('<topic>', 'topic name: letters, digits, ".", "_", "-", up to 249 characters')
    .addOption(new Option('-p, --partitions <n>', 'partition count (default: the broker\'s num.partitions)').argParser(parseIntOption('--partitions', 1)))
    .addOption(new Option('-r, --replication-factor <n>', 'replicas per partition (default: the broker\'s)').argParser(parseIntOption('--replication-factor', 1)))
    .option('-c, --config <key=value>', 'topic config, e.g. retention.ms=86400000 (repeatable)', collect, [])
    .option('--if-not-exists', 'succeed if the topic exists already')
    .action(async (name: string, opts: { partitions?: number; replicationFactor?: number; config: string[]; ifNotExists?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const configs = Object.fromEntries(parsePairs(opts.config, '--config'));
      try {
        const created = await ctx.api.call((base) =>
          createTopic({ ...base, body: { name, ...(opts.partitions !== undefined && { partitions: opts.partitions }), ...(opts.replicationFactor !== undefined && { replicationFactor: opts.replicationFactor }), ...(Object.keys(configs).length > 0 && { configs }) } }),
        );
        ctx.output.result(created, () => `created topic ${created.name} with ${created.partitions.length} partition${created.partitions.length === 1 ? '' : 's'} (id ${created.id})\n`);
      } catch (err) {
        if (!(opts.ifNotExists && err instanceof CliError && err.code === 'TOPIC_ALREADY_EXISTS')) throw err;
        const existing = await ctx.api.call((base) => describeTopic({ ...base, path: { topic: name } }));
        ctx.output.result(existing, () => `topic ${existing.name} exists already with ${existing.partitions.length} partition${existing.partitions.length === 1 ? '' : 's'} (id ${existing.id})\n`);
      }
    });

  topic
    .command('list')
    .alias('ls')
    .description('list topics')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const list = await ctx.api.call((base) => listTopics(base));
      const topics = [...list.topics].sort((a, b) => a.name.localeCompare(b.name));
      ctx.output.result({ topics }, () =>
        renderTable(topics, [
          { header: 'NAME', value: (t) => t.name },
          { header: 'PARTITIONS', value: (t) => t.partitions },
          { header: 'ID', value: (t) => t.id },
        ]),
      );
    });

  topic
    .command('describe')
    .description('show a topic\'s partitions (offsets, leaders, replicas, size) and effective configs')
    .argument('<topic>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const t = await ctx.api.call((base) => describeTopic({ ...base, path: { topic: name } }));
      ctx.output.result(t, () => describeText(t));
    });

  topic
    .command('alter')
    .description('change a topic\'s configs or add partitions')
    .argument('<topic>')
    .option('-c, --config <key=value>', 'set a config (repeatable)', collect, [])
    .option('--delete-config <key>', 'reset a config to its default (repeatable)', collect, [])
    .addOption(new Option('-p, --partitions <n>', 'new total partition count (only grows; moves keys to other partitions)').argParser(parseIntOption('--partitions', 1)))
    .action(async (name: string, opts: { config: string[]; deleteConfig: string[]; partitions?: number }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      atLeastOne('--config, --delete-config or --partitions', [opts.config, opts.deleteConfig, opts.partitions]);
      const configs: Record<string, string | null> = Object.fromEntries(parsePairs(opts.config, '--config'));
      for (const key of opts.deleteConfig) {
        if (key in configs) throw usageError(`${key} is both set (--config) and reset (--delete-config)`);
        configs[key] = null;
      }
      let t: TopicDescription | undefined;
      // Configs first: a refused config must not leave the partitions changed.
      if (Object.keys(configs).length > 0) t = await ctx.api.call((base) => alterTopicConfigs({ ...base, path: { topic: name }, body: { configs } }));
      if (opts.partitions !== undefined) t = await ctx.api.call((base) => createPartitions({ ...base, path: { topic: name }, body: { count: opts.partitions! } }));
      const done = t!;
      ctx.output.result(done, () => `altered topic ${done.name}\n\n${describeText(done)}`);
    });

  topic
    .command('delete')
    .alias('rm')
    .description('delete topics and their records')
    .argument('<topic...>')
    .option('--if-exists', 'succeed for topics that do not exist')
    .action(async (names: string[], opts: { ifExists?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const results: Array<{ topic: string; deleted: boolean }> = [];
      for (const name of names) {
        try {
          await ctx.api.call((base) => deleteTopic({ ...base, path: { topic: name } }));
          results.push({ topic: name, deleted: true });
        } catch (err) {
          if (!(opts.ifExists && err instanceof CliError && err.code === 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
          results.push({ topic: name, deleted: false });
        }
      }
      ctx.output.result({ topics: results }, () => results.map((r) => (r.deleted ? `deleted topic ${r.topic}\n` : `topic ${r.topic} does not exist\n`)).join(''));
    });
}
