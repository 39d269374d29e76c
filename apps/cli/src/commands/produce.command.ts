/**
 * `spool produce <topic>`: records from stdin or a file, one per line, like `kcat -P`: optional
 * key delimiter (-K), headers (-H), a fixed partition (-p), JSON or text or binary values, or
 * whole NDJSON record objects (--ndjson). Streamed through the NDJSON ingest route with bounded
 * memory; a progress bar on a terminal.
 */
import { createReadStream, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatCount, Progress } from '../output/progress.js';
import { renderTable } from '../output/table.js';
import { uploadNdjson } from '../produce/ndjson-upload.js';
import { RecordEncoder, unescapeDelimiter, type ValueFormat } from '../produce/record-encoder.js';
import { collect, parseIntOption, parsePairs } from './options.js';

interface ProduceOptions {
  file?: string;
  keyDelimiter?: string;
  delimiter: string;
  header: string[];
  partition?: number;
  valueFormat: ValueFormat;
  keyFormat: ValueFormat;
  ndjson?: boolean;
  progress: boolean;
}

const FORMATS = ['json', 'string', 'binary'] as const;

export function registerProduceCommand(program: Command, runtime: Runtime): void {
  program
    .command('produce')
    .description('produce records from stdin or a file, one per line (like kcat -P)')
    .argument('<topic>')
    .option('-f, --file <path>', 'read records from this file instead of stdin')
    .option('-K, --key-delimiter <sep>', 'each line is <key><sep><value> (first occurrence); without it records have no key')
    .option('-D, --delimiter <sep>', 'record delimiter (escapes: \\n \\t \\0)', '\\n')
    .option('-H, --header <name=value>', 'header on every record (repeatable)', collect, [])
    .addOption(new Option('-p, --partition <n>', 'send every record to this partition (default: by key, as Kafka\'s partitioner)').argParser(parseIntOption('--partition', 0)))
    .addOption(new Option('-F, --value-format <format>', 'values are JSON (json), text (string) or bytes sent as base64 (binary)').choices(FORMATS).default('json'))
    .addOption(new Option('--key-format <format>', 'keys are text (string), JSON (json) or bytes (binary)').choices(FORMATS).default('string'))
    .option('--ndjson', 'each line is a whole record object: {"key":..,"value":..,"headers":{..},"partition":..,"timestamp":..}')
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  echo '{"type":"click"}' | spool produce events
  spool produce events -K : -F string -f lines.txt           # user-42:hello -> key user-42, text value
  spool produce events --ndjson -f records.ndjson            # lines like {"key":"k","value":{"n":1}}`,
    )
    .action(async (topic: string, opts: ProduceOptions, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const encoder = new RecordEncoder({
        valueFormat: opts.valueFormat,
        keyFormat: opts.keyFormat,
        ...(opts.keyDelimiter !== undefined && { keyDelimiter: unescapeDelimiter(opts.keyDelimiter) }),
        delimiter: unescapeDelimiter(opts.delimiter),
        headers: parsePairs(opts.header, '--header'),
        ...(opts.partition !== undefined && { partition: opts.partition }),
        ndjson: opts.ndjson === true,
      });
      let input: AsyncIterable<Uint8Array>;
      let totalBytes: number | undefined;
      if (opts.file !== undefined && opts.file !== '-') {
        try {
          totalBytes = statSync(opts.file).size;
        } catch (err) {
          throw usageError(`cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
        }
        input = createReadStream(opts.file, { highWaterMark: 1 << 20 });
      } else {
        if ((runtime.stdin as { isTTY?: boolean }).isTTY) ctx.output.warn('reading records from the terminal, one per line; end with Ctrl-D (or give --file)');
        input = runtime.stdin as AsyncIterable<Uint8Array>;
      }
      const progress = new Progress(runtime.streams.stderr, totalBytes, 'records', opts.progress && runtime.streams.stderr.isTTY === true);
      const startedAt = performance.now();
      let result;
      try {
        result = await uploadNdjson(ctx.api, topic, input, encoder, (records, bytes) => progress.update(records, bytes), runtime.interrupted);
      } catch (err) {
        progress.done();
        if (err instanceof CliError && typeof err.details?.line === 'number') {
          const line = err.details.line;
          const from = opts.file !== undefined && opts.file !== '-' ? `tail -n +${line} ${opts.file}` : `the input from line ${line}`;
          throw new CliError(err.message, err.exitCode, `fix line ${line}, then send ${from} again (the lines before it are stored)`, err.code, err.details);
        }
        throw err;
      }
      progress.update(encoder.records, result.bytesRead, true);
      progress.done();
      const elapsedMs = Math.round(performance.now() - startedAt);
      const partitions = Object.entries(result.summary.partitions)
        .map(([p, s]) => ({ partition: Number(p), recordCount: s.recordCount ?? 0, firstOffset: s.firstOffset ?? null, lastOffset: s.lastOffset ?? null }))
        .sort((a, b) => a.partition - b.partition);
      const view = { topic, recordCount: result.summary.recordCount, partitions, elapsedMs };
      ctx.output.result(view, () => {
        const rate = view.recordCount / Math.max(elapsedMs / 1000, 0.001);
        const head = `produced ${formatCount(view.recordCount)} record${view.recordCount === 1 ? '' : 's'} to ${topic} in ${(elapsedMs / 1000).toFixed(2)} s (${formatCount(rate)} records/s)\n`;
        return partitions.length === 0
          ? head
          : head +
              renderTable(partitions, [
                { header: 'PARTITION', value: (p) => p.partition },
                { header: 'RECORDS', value: (p) => p.recordCount },
                { header: 'FIRST-OFFSET', value: (p) => p.firstOffset },
                { header: 'LAST-OFFSET', value: (p) => p.lastOffset },
              ]);
      });
      if (result.inputError !== undefined) {
        const line = result.inputError.line;
        const n = result.summary.recordCount;
        throw new CliError(`${result.inputError.message}; the ${n} record${n === 1 ? ' before it was' : 's before it were'} appended`, ExitCode.USAGE, `fix line ${line}, then send the input from line ${line} again${opts.file ? ` (tail -n +${line} ${opts.file})` : ''}`, 'INVALID_INPUT', { line, appendedRecords: result.summary.recordCount });
      }
    });
}
