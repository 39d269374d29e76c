/**
 * `spool consume <topic>`: records as JSON lines (or a kcat -f template), from an offset, a time
 * or the end, up to the current end or following new records, a number of them, or as a member
 * of a consumer group. Without --group each partition is read with the SDK's long-poll fetch,
 * pages streamed to stdout as they come; with --group the broker assigns partitions over the
 * WebSocket (see consume/group-reader.ts).
 */
import { Command, Option } from 'commander';
import { describeTopic, listOffsets, type FetchResponse } from '../../../../sdk/src/index.js';
import { usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { OutputWriter } from '../consume/output-writer.js';
import { firstLines, linesBelow, readPartition, readPartitionLines, type LinesPage, type ReadFormats } from '../consume/partition-reader.js';
import { humanLines, jsonLines, template, type PageFormatter } from '../consume/record-format.js';
import { parseStartSpec, type StartSpec } from '../consume/start-position.js';
import { formatCount, Progress } from '../output/progress.js';
import { yamlDump } from '../output/yaml.js';
import { asArgParser, collect, parseIntOption, parseInteger } from './options.js';

interface ConsumeOptions {
  partition: string[];
  offset: StartSpec;
  count?: number;
  follow?: boolean;
  format?: string;
  group?: string;
  keyFormat?: 'auto' | 'json' | 'string' | 'binary';
  valueFormat?: 'auto' | 'json' | 'string' | 'binary';
  fetchMaxRecords: number;
  progress: boolean;
}

const READ_FORMATS = ['auto', 'json', 'string', 'binary'] as const;
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
const LONG_POLL_MS = 30_000;

/** How records are printed; `lines`: JSON lines, which the broker can send ready-made (NDJSON fetch). */
function formatterFor(ctx: Context, opts: ConsumeOptions, topic: string): { format: PageFormatter; lines: boolean } {
  if (opts.format !== undefined) return { format: template(opts.format), lines: false };
  if (ctx.output.format === 'yaml') return { format: (_t, records, from, to) => records.slice(from, to).map((r) => `---\n${yamlDump({ topic, ...r }, { lineWidth: -1 })}`).join(''), lines: false };
  // JSON lines unless a table was asked for by name: the global default (table) suits admin commands, not a record stream.
  if (ctx.globals.output === 'table') return { format: humanLines(), lines: false };
  return { format: jsonLines(topic), lines: true };
}

interface PartitionPlan {
  readonly partition: number;
  readonly startOffset: number | undefined;
  readonly endOffset: number | undefined;
}

async function planPartitions(ctx: Context, topic: string, opts: ConsumeOptions): Promise<PartitionPlan[]> {
  const description = await ctx.api.call((base) => describeTopic({ ...base, path: { topic } }));
  const count = description.partitions.length;
  const wanted = opts.partition.length === 0 ? description.partitions.map((p) => p.partition) : opts.partition.map((p) => parseInteger(p, '--partition', 0));
  for (const p of wanted) if (p >= count) throw usageError(`topic ${topic} has no partition ${p}: it has ${count} (0..${count - 1})`);
  const plans: PartitionPlan[] = [];
  for (const partition of [...new Set(wanted)]) {
    const info = description.partitions[partition];
    const endOffset = opts.follow ? undefined : info.highWatermark;
    const spec = opts.offset;
    let startOffset: number | undefined;
    switch (spec.kind) {
      case 'earliest':
        startOffset = undefined; // the broker's logStartOffset at fetch time, even if retention moved it
        break;
      case 'latest':
        startOffset = info.highWatermark;
        break;
      case 'offset':
        if (spec.offset < info.logStartOffset || spec.offset > info.highWatermark) {
          throw usageError(`offset ${spec.offset} is outside partition ${partition} of ${topic}, which holds ${info.logStartOffset}..${info.highWatermark}`, 'use --offset earliest, latest, -<n> or an offset in that range');
        }
        startOffset = spec.offset;
        break;
      case 'tail':
        startOffset = Math.max(info.logStartOffset, info.highWatermark - spec.count);
        break;
      case 'timestamp': {
        const o = await ctx.api.call((base) => listOffsets({ ...base, path: { topic, partition }, query: { timestamp: spec.timestamp } }));
        startOffset = o.byTimestamp?.offset ?? o.latest;
        break;
      }
    }
    plans.push({ partition, startOffset, endOffset });
  }
  return plans;
}

export function registerConsumeCommand(program: Command, runtime: Runtime): void {
  program
    .command('consume')
    .description('print records as JSON lines (or a -f template), like kcat -C')
    .argument('<topic>')
    .option('-p, --partition <n>', 'read only this partition (repeatable; default: all)', collect, [])
    .addOption(new Option('--offset <spec>', 'where to start: earliest, latest, <offset>, -<n> (last n), @<time> (ISO 8601 or ms)').argParser(asArgParser(parseStartSpec)).default({ kind: 'earliest' }, 'earliest'))
    .addOption(new Option('-c, --count <n>', 'stop after n records').argParser(parseIntOption('--count', 1)))
    .option('--follow', 'keep waiting for new records (default: stop at the end the partitions had when the command started)')
    .option('-f, --format <template>', 'print each record with a kcat-style template: %t %p %o %T %k %s %K %S %h %% and \\n \\t')
    .option('-g, --group <group>', 'consume as a member of this consumer group: the broker assigns partitions and the CLI commits what it printed (implies --follow)')
    .addOption(new Option('--key-format <format>', 'how keys are rendered').choices(READ_FORMATS))
    .addOption(new Option('--value-format <format>', 'how values are rendered').choices(READ_FORMATS))
    .addOption(new Option('--fetch-max-records <n>', 'records per fetch request').argParser(parseIntOption('--fetch-max-records', 1, 100_000)).default(20_000))
    .option('--no-progress', 'no records/s line on stderr (shown only when stderr is a terminal and stdout is not)')
    .addHelpText(
      'after',
      `
Examples:
  spool consume events                               # everything there now, as JSON lines
  spool consume events --offset -10 --follow         # the last 10 records of each partition, then new ones
  spool consume events --offset @2026-01-31T12:00:00Z -c 100
  spool consume events -f '%p/%o %k=%s\\n'            # kcat-style template
  spool consume events --group dashboard --count 100 # as a group member; commits what it printed`,
    )
    .action(async (topic: string, opts: ConsumeOptions, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { format, lines: jsonLinesOutput } = formatterFor(ctx, opts, topic);
      const writer = new OutputWriter(runtime.streams.stdout);
      const showProgress = opts.progress && runtime.streams.stderr.isTTY === true && runtime.streams.stdout.isTTY !== true;
      const progress = new Progress(runtime.streams.stderr, undefined, 'records', showProgress);
      const formats: ReadFormats = { ...(opts.keyFormat && { keyFormat: opts.keyFormat }), ...(opts.valueFormat && { valueFormat: opts.valueFormat }) };
      const stop = new AbortController();
      const signal = AbortSignal.any([runtime.interrupted, stop.signal]);
      let remaining = opts.count ?? Number.POSITIVE_INFINITY;
      let consumed = 0;
      let bytes = 0;
      const startedAt = performance.now();
      /** Writes what the budget allows of a page; false once the budget is spent. */
      const take = async (records: FetchResponse['records'], t: string): Promise<number> => {
        const n = Math.min(records.length, remaining);
        if (n > 0) {
          remaining -= n;
          consumed += n;
          const text = format(t, records, 0, n);
          bytes += text.length;
          await writer.write(text);
          progress.update(consumed, bytes);
        }
        if (remaining <= 0) stop.abort();
        return n;
      };
      /** The same for a page of ready-made JSON lines. */
      const takeLines = async (page: LinesPage, endOffset: number | undefined): Promise<void> => {
        let { body, lines } = endOffset !== undefined && page.nextOffset > endOffset ? linesBelow(page.body, endOffset) : page;
        if (lines > remaining) {
          body = firstLines(body, remaining);
          lines = remaining;
        }
        if (lines > 0) {
          remaining -= lines;
          consumed += lines;
          bytes += body.length;
          await writer.write(body);
          progress.update(consumed, bytes);
        }
        if (remaining <= 0) stop.abort();
      };
      if (opts.group !== undefined) {
        if (opts.partition.length > 0) throw usageError('--partition and --group exclude each other: a group member reads the partitions the broker assigns');
        const from = opts.offset.kind === 'earliest' || opts.offset.kind === 'latest' ? opts.offset.kind : undefined;
        if (from === undefined) throw usageError('with --group, --offset is where partitions without a committed offset start: earliest or latest');
        // Loaded here: the WebSocket client (ws) is for --group only, and loading it cost every other start-up ~80 ms.
        const { readGroup } = await import('../consume/group-reader.js');
        await readGroup(ctx, { topic, group: opts.group, from, formats, signal, onRecords: (records) => take(records as FetchResponse['records'], topic) });
      } else {
        const plans = await planPartitions(ctx, topic, opts);
        await Promise.all(
          plans.map((plan) => {
            const read = { topic, partition: plan.partition, startOffset: plan.startOffset, endOffset: plan.endOffset, maxRecords: Math.min(opts.fetchMaxRecords, remaining), maxBytes: FETCH_MAX_BYTES, waitMs: LONG_POLL_MS, signal, ...formats };
            if (jsonLinesOutput) {
              return readPartitionLines(ctx.api, read, async (page) => {
                await takeLines(page, plan.endOffset);
                return !signal.aborted;
              });
            }
            return readPartition(ctx.api, read, async (page) => {
              let records = page.records;
              if (plan.endOffset !== undefined && records.length > 0 && records[records.length - 1].offset >= plan.endOffset) records = records.filter((r) => r.offset < plan.endOffset!);
              await take(records, topic);
              return !signal.aborted;
            });
          }),
        );
      }
      progress.done();
      const seconds = (performance.now() - startedAt) / 1000;
      if (runtime.streams.stderr.isTTY === true && opts.progress) {
        ctx.output.warn(`consumed ${formatCount(consumed)} record${consumed === 1 ? '' : 's'} in ${seconds.toFixed(2)} s (${formatCount(consumed / Math.max(seconds, 0.001))} records/s)`);
      }
    });
}
