/**
 * Where commands print: results to stdout in the chosen `--output` format (a table for people;
 * JSON or YAML of the same data for scripts), notes and progress to stderr so that they never
 * mix with data in a pipe.
 */
import { usageError } from '../cli.error.js';
import { yamlDump } from './yaml.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(v: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw usageError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}, not ${JSON.stringify(v)}`);
}

export interface Streams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export class Output {
  constructor(
    readonly format: OutputFormat,
    readonly streams: Streams,
  ) {}

  /** Prints a result: `data` as JSON/YAML, or what `table` makes of it. */
  result(data: unknown, table: () => string): void {
    this.streams.stdout.write(this.render(data, table));
  }

  render(data: unknown, table: () => string): string {
    if (this.format === 'json') return JSON.stringify(data, null, 2) + '\n';
    if (this.format === 'yaml') return yamlDump(data, { noRefs: true, lineWidth: -1, sortKeys: false });
    return table();
  }

  /** A line for people (stderr), e.g. "created topic x"; silent in json/yaml so scripts see only data. */
  note(line: string): void {
    if (this.format === 'table') this.streams.stderr.write(line + '\n');
  }

  warn(line: string): void {
    this.streams.stderr.write(line + '\n');
  }
}
