/**
 * `spool cluster reassignments|reassign|drain`: kafka-reassign-partitions.sh's jobs over the HTTP
 * reassignment routes (listPartitionReassignments, reassignPartition, cancelPartitionReassignment,
 * reassignPartitions), docs/cluster.md "Partition reassignment":
 *
 *   reassignments [--topic t]           the moves in progress
 *   reassign <topic> <p> <replicas>     move one partition (`--cancel` instead of replicas cancels)
 *   drain <broker> [--dry-run] [--wait] move every replica off a broker, each to the live broker
 *                                       holding the fewest replicas that the partition lacks
 *
 * The broker answers once a move is recorded; `--wait` then polls until the moves are complete.
 */
import { Command, Option } from 'commander';
import {
  cancelPartitionReassignment,
  describeCluster,
  describePartitionReassignment,
  describeTopic,
  listPartitionReassignments,
  listTopics,
  reassignPartition,
  reassignPartitions,
  type PartitionReassignment,
} from '../../../../sdk/src/index.js';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { parseDurationMs, parseInteger, parseIntOption, asArgParser } from './options.js';

const POLL_MS = 500;

function movesText(moves: readonly PartitionReassignment[], none: string): string {
  if (moves.length === 0) return `${none}\n`;
  return renderTable(moves, [
    { header: 'TOPIC', value: (m) => m.topic },
    { header: 'PARTITION', value: (m) => m.partition },
    { header: 'REPLICAS', value: (m) => m.replicas.join(','), align: 'left' },
    { header: 'ADDING', value: (m) => m.addingReplicas.join(','), align: 'left' },
    { header: 'REMOVING', value: (m) => m.removingReplicas.join(','), align: 'left' },
    { header: 'LEADER', value: (m) => m.leader },
    { header: 'ISR', value: (m) => m.isr.join(','), align: 'left' },
  ]);
}

function parseReplicas(v: string): number[] {
  const ids = v.split(',').map((s) => parseInteger(s, 'replicas', 0, 2147483647));
  if (ids.length === 0) throw usageError('replicas must list at least one broker id, e.g. 1,2');
  return ids;
}

/** Polls until none of `partitions` ("topic\0p") is listed as moving, or `timeoutMs` passes. */
async function waitForMoves(ctx: Context, partitions: ReadonlySet<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { partitions: moving } = await ctx.api.call((base) => listPartitionReassignments(base));
    const left = moving.filter((m) => partitions.has(`${m.topic}\u0000${m.partition}`));
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new CliError(`${left.length} move${left.length === 1 ? ' is' : 's are'} still in progress after ${timeoutMs} ms`, ExitCode.UNAVAILABLE, 'see `spool cluster reassignments`; the moves go on', 'TIMED_OUT', {
        moving: left,
      });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Where each replica on `brokerId` goes: per partition, the live broker (not shutting down) that
 * the partition lacks and that holds the fewest replicas so far (counting the moves planned), the
 * lowest id on a tie. The partition keeps its replica order (a leaving preferred leader's place
 * goes to its replacement).
 */
export function planDrain(
  brokerId: number,
  live: readonly number[],
  partitions: readonly { topic: string; partition: number; replicas: readonly number[] }[],
): { topic: string; partition: number; from: number[]; replicas: number[] }[] {
  const load = new Map(live.map((b) => [b, 0]));
  for (const p of partitions) for (const r of p.replicas) if (load.has(r)) load.set(r, load.get(r)! + 1);
  const plan: { topic: string; partition: number; from: number[]; replicas: number[] }[] = [];
  for (const p of partitions) {
    if (!p.replicas.includes(brokerId)) continue;
    const candidates = live.filter((b) => b !== brokerId && !p.replicas.includes(b)).sort((a, b) => load.get(a)! - load.get(b)! || a - b);
    if (candidates.length === 0) {
      throw new CliError(`${p.topic}-${p.partition} (replicas ${p.replicas.join(',')}) has no live broker to move to`, ExitCode.CONFLICT, 'start another broker, or lower the topic\'s replication factor first', 'NO_TARGET');
    }
    const to = candidates[0]!;
    load.set(to, load.get(to)! + 1);
    plan.push({ topic: p.topic, partition: p.partition, from: [...p.replicas], replicas: p.replicas.map((r) => (r === brokerId ? to : r)) });
  }
  return plan;
}

export function registerReassignCommands(cluster: Command, runtime: Runtime): void {
  const waitTimeout = (): Option =>
    new Option('--wait-timeout <duration>', 'with --wait: give up after this long (e.g. 10m)').default(600_000, '10m').argParser(asArgParser((v) => parseDurationMs(v, '--wait-timeout')));

  cluster
    .command('reassignments')
    .description('list the partition moves in progress')
    .option('-t, --topic <topic>', 'only this topic')
    .action(async (opts: { topic?: string }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const res = await ctx.api.call((base) => listPartitionReassignments({ ...base, ...(opts.topic !== undefined && { query: { topic: opts.topic } }) }));
      ctx.output.result(res, () => movesText(res.partitions, 'no partition is moving'));
    });

  cluster
    .command('reassign')
    .description('move a partition to other brokers (the first replica is the preferred leader), or cancel its move')
    .argument('<topic>')
    .argument('<partition>', 'partition number', asArgParser((v) => parseInteger(v, 'partition', 0, 2147483647)))
    .argument('[replicas]', 'target broker ids, comma-separated, e.g. 1,2', asArgParser(parseReplicas))
    .option('--cancel', 'cancel the partition\'s move (back to its original replicas)')
    .option('--wait', 'wait until the move is complete')
    .addOption(waitTimeout())
    .action(async (topic: string, partition: number, replicas: number[] | undefined, opts: { cancel?: boolean; wait?: boolean; waitTimeout: number }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      if ((replicas === undefined) === (opts.cancel !== true)) throw usageError('give the target replicas, or --cancel (not both)', 'e.g. `spool cluster reassign orders 0 1,2`');
      const state = await ctx.api.call((base) =>
        opts.cancel === true ? cancelPartitionReassignment({ ...base, path: { topic, partition } }) : reassignPartition({ ...base, path: { topic, partition }, body: { replicas: replicas! } }),
      );
      if (opts.wait === true) await waitForMoves(ctx, new Set([`${topic}\u0000${partition}`]), opts.waitTimeout);
      const done = opts.wait === true ? await ctx.api.call((base) => describePartitionReassignment({ ...base, path: { topic, partition } })) : state;
      ctx.output.result(done, () => `${opts.cancel === true ? 'cancelled the move of' : 'moving'} ${topic}-${partition}${opts.wait === true ? ': complete' : ''}\n${movesText([done], '')}`);
    });

  cluster
    .command('drain')
    .description('move every partition replica off a broker (before decommissioning it)')
    .argument('<broker>', 'broker id', asArgParser((v) => parseInteger(v, 'broker', 0, 2147483647)))
    .option('--dry-run', 'print the moves without making them')
    .option('--wait', 'wait until every move is complete')
    .addOption(waitTimeout())
    .addOption(new Option('--batch <n>', 'partitions per request').default(500).argParser(parseIntOption('--batch', 1, 10_000)))
    .action(async (brokerId: number, opts: { dryRun?: boolean; wait?: boolean; waitTimeout: number; batch: number }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const cluster = await ctx.api.call((base) => describeCluster(base));
      const live = cluster.brokers.filter((b) => b.alive && b.controlledShutdown !== true).map((b) => b.brokerId);
      const { topics } = await ctx.api.call((base) => listTopics(base));
      const partitions: { topic: string; partition: number; replicas: number[] }[] = [];
      for (const t of topics) {
        const d = await ctx.api.call((base) => describeTopic({ ...base, path: { topic: t.name } }));
        for (const p of d.partitions) partitions.push({ topic: t.name, partition: p.partition, replicas: p.replicas });
      }
      const plan = planDrain(brokerId, live, partitions);
      const planText = (): string =>
        plan.length === 0
          ? `broker ${brokerId} holds no replica\n`
          : renderTable(plan, [
              { header: 'TOPIC', value: (m) => m.topic },
              { header: 'PARTITION', value: (m) => m.partition },
              { header: 'FROM', value: (m) => m.from.join(','), align: 'left' },
              { header: 'TO', value: (m) => m.replicas.join(','), align: 'left' },
            ]);
      if (opts.dryRun === true || plan.length === 0) {
        ctx.output.result({ broker: brokerId, moves: plan, dryRun: opts.dryRun === true }, planText);
        return;
      }
      for (let i = 0; i < plan.length; i += opts.batch) {
        const chunk = plan.slice(i, i + opts.batch);
        await ctx.api.call((base) => reassignPartitions({ ...base, body: { partitions: chunk.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas })) } }));
      }
      if (opts.wait === true) await waitForMoves(ctx, new Set(plan.map((m) => `${m.topic}\u0000${m.partition}`)), opts.waitTimeout);
      ctx.output.result({ broker: brokerId, moves: plan, complete: opts.wait === true }, () => `${planText()}${opts.wait === true ? `every replica moved off broker ${brokerId}` : `${plan.length} move${plan.length === 1 ? '' : 's'} started: \`spool cluster reassignments\` shows them until complete`}\n`);
    });
}
