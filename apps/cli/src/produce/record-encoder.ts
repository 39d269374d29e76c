/**
 * Turns input lines (kcat -P style: one record per line, optionally `key<sep>value`) into the
 * NDJSON ingest body: one produce record object per line (docs/http-api.md, "NDJSON bulk ingest").
 *
 *   input line                       NDJSON line (valueFormat string, -K ':' , -H src=cli)
 *   user-42:hello world        ->    {"headers":{"src":"cli"},"key":"user-42","value":"hello world"}
 *
 * Line i of the input is line i of the body: a blank input line becomes a blank body line (the
 * broker skips it), so the broker's error positions (details.line) are input line numbers.
 *
 * Values: `json` embeds the line's text, after checking that it is exactly one JSON value (without
 * the check, a line such as `1,"partition":3` would smuggle fields into the record); `string` sends
 * it as a JSON string; `binary` sends its bytes in base64. Keys likewise with --key-format. With
 * `ndjson` input each line already is a record object and passes through unchanged; the broker
 * validates it.
 *
 * Work happens per input chunk, never per whole input: memory stays bounded by the chunk size and
 * the longest line.
 */
import { usageError } from '../cli.error.js';

export type ValueFormat = 'json' | 'string' | 'binary';

export interface EncoderOptions {
  readonly valueFormat: ValueFormat;
  readonly keyFormat: ValueFormat;
  /** Splits key from value at its first occurrence; none: no keys. */
  readonly keyDelimiter?: string;
  /** Separates records; default "\n" (a "\r" before it is dropped). */
  readonly delimiter: string;
  readonly headers?: ReadonlyMap<string, string>;
  readonly partition?: number;
  /** Lines are whole record objects (NDJSON). */
  readonly ndjson: boolean;
}

/** A line the encoder refused (its JSON is not valid): where, and why. */
export class InputLineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export class RecordEncoder {
  /** Records encoded (non-blank lines). */
  records = 0;
  /** Input lines consumed (blank ones included). */
  lines = 0;
  private rest = '';
  private readonly prefix: string;
  /** A key or value is binary: input is handled as bytes (latin1 strings) rather than UTF-8 text. */
  private readonly binary: boolean;
  private readonly delimiter: string;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(readonly options: EncoderOptions) {
    if (options.delimiter === '') throw usageError('--delimiter must not be empty');
    if (options.keyDelimiter === '') throw usageError('--key-delimiter must not be empty');
    if (options.ndjson && (options.keyDelimiter !== undefined || options.headers?.size || options.partition !== undefined)) {
      throw usageError('--ndjson lines are whole record objects: put key, headers and partition in them instead of --key-delimiter, --header, --partition');
    }
    let prefix = '{';
    if (options.partition !== undefined) prefix += `"partition":${options.partition},`;
    if (options.headers !== undefined && options.headers.size > 0) {
      const headers = Object.fromEntries([...options.headers].map(([k, v]) => [k, options.valueFormat === 'binary' ? Buffer.from(v).toString('base64') : v]));
      prefix += `"headers":${JSON.stringify(headers)},`;
    }
    this.prefix = prefix;
    this.binary = options.valueFormat === 'binary' || options.keyFormat === 'binary';
    const asBytes = (v: string) => Buffer.from(v, 'utf8').toString('latin1');
    this.delimiter = this.binary ? asBytes(options.delimiter) : options.delimiter;
    this.keyDelimiter = options.keyDelimiter === undefined ? undefined : this.binary ? asBytes(options.keyDelimiter) : options.keyDelimiter;
  }

  private readonly keyDelimiter: string | undefined;

  /**
   * Encodes the complete lines of `chunk` (after what was left of the previous one) and keeps the
   * incomplete tail; `final` flushes the tail as the last line. Throws InputLineError at the first
   * bad line, after returning nothing of its chunk: `encodedBefore` then holds the NDJSON of the
   * good lines of that chunk, so a caller can still send those.
   */
  encode(chunk: Uint8Array, final: boolean): string {
    let text: string;
    if (this.binary) {
      // Bytes in, one char per byte (latin1 is lossless), so any byte sequence splits at the delimiter.
      text = this.rest + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    } else {
      try {
        text = this.rest + this.decoder.decode(chunk, { stream: !final });
      } catch {
        throw new InputLineError(this.lines + 1, `line ${this.lines + 1} (or one soon after it) is not valid UTF-8: use --value-format binary (and --key-format binary) for bytes`);
      }
    }
    const delimiter = this.delimiter;
    const parts = text.split(delimiter);
    this.rest = final ? '' : parts.pop()!;
    if (final && parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // the usual trailing newline
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      let line = parts[i];
      this.lines++;
      if (delimiter === '\n' && line.endsWith('\r') && !this.binary) line = line.slice(0, -1);
      if (line.length === 0 || (this.options.ndjson && line.trim() === '')) {
        out += '\n';
        continue;
      }
      try {
        out += this.encodeLine(line) + '\n';
      } catch (err) {
        this.encodedBefore = out;
        throw err;
      }
      this.records++;
    }
    return out;
  }

  /** See `encode`: the NDJSON of the good lines before a bad one, in the chunk that had it. */
  encodedBefore = '';

  private encodeLine(line: string): string {
    if (this.options.ndjson) return line;
    let key: string | undefined;
    let value = line;
    const kd = this.keyDelimiter;
    if (kd !== undefined) {
      const at = line.indexOf(kd);
      if (at < 0) throw new InputLineError(this.lines, `line ${this.lines} has no key delimiter ${JSON.stringify(this.options.keyDelimiter)}`);
      key = line.slice(0, at);
      value = line.slice(at + kd.length);
    }
    const keyPart = key === undefined ? '' : `"key":${this.field(key, this.options.keyFormat, 'key')},`;
    return `${this.prefix}${keyPart}"value":${this.field(value, this.options.valueFormat, 'value')}}`;
  }

  private field(raw: string, format: ValueFormat, what: 'key' | 'value'): string {
    if (format === 'binary') return `"${Buffer.from(raw, 'latin1').toString('base64')}"`;
    let text = raw;
    if (this.binary) {
      // The other field is binary, so this one arrived as bytes: it must still be UTF-8 text.
      try {
        text = this.decoder.decode(Buffer.from(raw, 'latin1'));
      } catch {
        throw new InputLineError(this.lines, `the ${what} on line ${this.lines} is not valid UTF-8: use --${what}-format binary`);
      }
    }
    if (format === 'string') return JSON.stringify(text);
    try {
      JSON.parse(text);
    } catch (err) {
      throw new InputLineError(this.lines, `the ${what} on line ${this.lines} is not JSON (${(err as Error).message}): send text with --${what}-format string`);
    }
    return text.trim();
  }
}

/** kcat-style escapes in delimiters: \n \r \t \0 \\ . */
export function unescapeDelimiter(v: string): string {
  return v.replace(/\\([nrt0\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\' })[c]!);
}
