/**
 * `spool group list|describe|reset-offsets|delete`: kafka-consumer-groups.sh's jobs over the HTTP
 * API's group routes. reset-offsets takes that tool's options and, like it, only shows the plan
 * unless --execute is given; the broker computes the plan (resetGroupOffsets with dryRun), so
 * the console and the CLI agree on it.
 */
import { Command, Option } from 'commander';
import { deleteGroup, describeGroup, listGroups, resetGroupOffsets, type GroupDescription, type ResetGroupOffsets } from '../../../../sdk/src/index.js';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { renderFields, renderTable } from '../output/table.js';
import { asArgParser, collect, parseDurationMs, parseInteger, parseTimestamp } from './options.js';

function describeText(g: GroupDescription): string {
  const owner = new Map<string, GroupDescription['members'][number]>();
  for (const m of g.members) for (const tp of m.assignment ?? []) owner.set(`${tp.topic}/${tp.partition}`, m);
  const head = renderFields([
    ['Group', g.groupId],
    ['State', g.state],
    ['Protocol type', g.protocolType],
    ['Assignor', g.assignor],
    ['Generation', g.generationId],
    ['Leader', g.leaderId],
    ['Members', g.members.length],
  ]);
  const members =
    g.members.length === 0
      ? 'no members\n'
      : renderTable(g.members, [
          { header: 'MEMBER-ID', value: (m) => m.memberId },
          { header: 'CLIENT-ID', value: (m) => m.clientId },
          { header: 'HOST', value: (m) => m.clientHost },
          { header: 'PARTITIONS', value: (m) => (m.assignment === null ? null : m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(',') || '(none)') },
        ]);
  const offsets =
    g.offsets.length === 0
      ? 'no committed offsets\n'
      : renderTable(g.offsets, [
          { header: 'TOPIC', value: (o) => o.topic },
          { header: 'PARTITION', value: (o) => o.partition },
          { header: 'CURRENT-OFFSET', value: (o) => o.committedOffset },
          { header: 'LOG-END-OFFSET', value: (o) => o.highWatermark },
          { header: 'LAG', value: (o) => o.lag },
          { header: 'CONSUMER-ID', value: (o) => owner.get(`${o.topic}/${o.partition}`)?.memberId ?? null },
        ]);
  const total = g.offsets.reduce((n, o) => n + (o.lag ?? 0), 0);
  return `${head}\n${members}\n${offsets}${g.offsets.length > 0 ? `\ntotal lag: ${total}\n` : ''}`;
}

interface ResetOptions {
  topic: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: number;
  byDuration?: number;
  shiftBy?: number;
  toOffset?: number;
  dryRun?: boolean;
  execute?: boolean;
}

/** The one target among the --to-* / --shift-by / --by-duration options (kafka-consumer-groups wants exactly one). */
export function resetTarget(opts: ResetOptions, now: number): ResetGroupOffsets['to'] {
  const given: Array<[string, ResetGroupOffsets['to']]> = [];
  if (opts.toEarliest) given.push(['--to-earliest', 'earliest']);
  if (opts.toLatest) given.push(['--to-latest', 'latest']);
  if (opts.toDatetime !== undefined) given.push(['--to-datetime', { timestamp: opts.toDatetime }]);
  if (opts.byDuration !== undefined) given.push(['--by-duration', { timestamp: Math.max(0, now - opts.byDuration) }]);
  if (opts.shiftBy !== undefined) given.push(['--shift-by', { shiftBy: opts.shiftBy }]);
  if (opts.toOffset !== undefined) given.push(['--to-offset', { offset: opts.toOffset }]);
  if (given.length !== 1) {
    throw usageError(
      given.length === 0 ? 'say where to move the offsets' : `give one target, not ${given.map(([f]) => f).join(' and ')}`,
      'one of --to-earliest, --to-latest, --to-datetime <date-time>, --by-duration <duration>, --shift-by <n>, --to-offset <n>',
    );
  }
  return given[0][1];
}

export function registerGroupCommands(program: Command, runtime: Runtime): void {
  const group = program.command('group').description('list, describe, reset offsets of and delete consumer groups');

  group
    .command('list')
    .alias('ls')
    .description('list consumer groups')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { groups } = await ctx.api.call((base) => listGroups(base));
      const sorted = [...groups].sort((a, b) => a.groupId.localeCompare(b.groupId));
      ctx.output.result({ groups: sorted }, () =>
        renderTable(sorted, [
          { header: 'GROUP', value: (g) => g.groupId },
          { header: 'STATE', value: (g) => g.state },
          { header: 'PROTOCOL-TYPE', value: (g) => g.protocolType },
        ]),
      );
    });

  group
    .command('describe')
    .description('show a group\'s state, members and their partitions, committed offsets and lag')
    .argument('<group>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const g = await ctx.api.call((base) => describeGroup({ ...base, path: { group: name } }));
      ctx.output.result(g, () => describeText(g));
    });

  group
    .command('reset-offsets')
    .description('move a group\'s committed offsets (the group must have no members); shows the plan unless --execute')
    .argument('<group>')
    .option('--topic <topic>', 'a topic to reset (repeatable)', collect, [])
    .option('--all-topics', 'every topic the group has committed offsets for')
    .option('--to-earliest', 'to each partition\'s logStartOffset')
    .option('--to-latest', 'to each partition\'s end (skip everything)')
    .addOption(new Option('--to-datetime <date-time>', 'to the first record at or after it (ISO 8601, or ms since the epoch)').argParser(asArgParser((v) => parseTimestamp(v, '--to-datetime'))))
    .addOption(new Option('--by-duration <duration>', 'to the first record at or after now minus this (15m, 2h, 7d, PT15M)').argParser(asArgParser((v) => parseDurationMs(v, '--by-duration'))))
    .addOption(new Option('--shift-by <n>', 'move each committed offset by n (negative: back)').argParser(asArgParser((v) => parseInteger(v, '--shift-by'))))
    .addOption(new Option('--to-offset <n>', 'to this offset on every partition (clamped to each partition\'s range)').argParser(asArgParser((v) => parseInteger(v, '--to-offset', 0))))
    .addOption(new Option('--dry-run', 'only show the new offsets (the default)').conflicts('execute'))
    .option('--execute', 'commit the new offsets')
    .action(async (name: string, opts: ResetOptions, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      if (opts.allTopics && opts.topic.length > 0) throw usageError('give --topic or --all-topics, not both');
      if (!opts.allTopics && opts.topic.length === 0) throw usageError('say which topics to reset: --topic <topic> (repeatable) or --all-topics');
      const to = resetTarget(opts, Date.now());
      const dryRun = opts.execute !== true;
      const result = await ctx.api.call((base) =>
        resetGroupOffsets({ ...base, path: { group: name }, body: { to, dryRun, ...(opts.topic.length > 0 && { topics: opts.topic }) } }),
      );
      ctx.output.result(result, () => {
        const table = renderTable(result.offsets, [
          { header: 'TOPIC', value: (o) => o.topic },
          { header: 'PARTITION', value: (o) => o.partition },
          { header: 'PREVIOUS-OFFSET', value: (o) => o.previousOffset },
          { header: 'NEW-OFFSET', value: (o) => o.committedOffset },
          { header: 'LOG-END-OFFSET', value: (o) => o.highWatermark },
          { header: 'NEW-LAG', value: (o) => o.lag },
        ]);
        return dryRun
          ? `${table}\ndry run: nothing was committed; add --execute to commit these offsets to group ${name}\n`
          : `${table}\ncommitted the new offsets of group ${name}\n`;
      });
    });

  group
    .command('delete')
    .alias('rm')
    .description('delete groups that have no members, with their committed offsets')
    .argument('<group...>')
    .option('--if-exists', 'succeed for groups that do not exist')
    .action(async (names: string[], opts: { ifExists?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const results: Array<{ group: string; deleted: boolean }> = [];
      for (const name of names) {
        try {
          await ctx.api.call((base) => deleteGroup({ ...base, path: { group: name } }));
          results.push({ group: name, deleted: true });
        } catch (err) {
          if (!(opts.ifExists && err instanceof CliError && err.code === 'GROUP_ID_NOT_FOUND')) throw err;
          results.push({ group: name, deleted: false });
        }
      }
      ctx.output.result({ groups: results }, () => results.map((r) => (r.deleted ? `deleted group ${r.group}\n` : `group ${r.group} does not exist\n`)).join(''));
    });
}
