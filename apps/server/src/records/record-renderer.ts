/**
 * Stored record batches -> the JSON every face sends, built once from the stored bytes:
 *
 *   {"offset":<n>,"timestamp":<ms>,"key":<k>,"value":<v>,"headers":{"<name>":<string|null>,...}
 *    [,"keyEncoding":"base64"][,"valueEncoding":"base64"][,"headerEncodings":{"<name>":"base64",...}]
 *    [,"keySchemaId":<id>][,"valueSchemaId":<id>]
 *    [,"error":{"code":"RECORD_FORMAT_MISMATCH","message":"..."}]}
 *
 * Keys and values are rendered per record-formats.ts. A stored value that is JSON is copied into
 * the output token for token (json-bytes.ts checks it byte by byte while copying, without the
 * whitespace between tokens; it is never parsed and re-serialized);
 * UTF-8 text is written as a JSON string; other bytes as base64. Header values are strings (UTF-8)
 * unless the value format is binary; one that is not UTF-8 is base64, named in headerEncodings.
 * Header names are strings (a name that is not UTF-8 is rendered with U+FFFD replacements).
 * Repeated header names appear repeated in the object, so a JSON parser keeps the last value.
 *
 * Schema-encoded keys and values (Confluent's wire format: magic byte 0, a 4-byte schema id, the
 * payload) asked for as `json` are decoded with the registered schema of their id (a SchemaDecoder,
 * the schema registry on the broker) and rendered as that JSON, with `keySchemaId` / `valueSchemaId`
 * naming the schema; this runs only where the bytes are not JSON themselves (they start with
 * byte 0, which JSON never does). An id the registry does not know, or a payload that does not
 * decode with its schema, is a mismatch like any other (base64 and `error`). `auto` never decodes.
 *
 * Records are walked straight from the batch bytes (record grammar in @spool/protocol's
 * record.codec.ts) without building record objects; every length is bounds-checked by ByteReader
 * and every batch's CRC is verified, so corrupt stored bytes fail with CORRUPT_MESSAGE rather than
 * render garbage. Control batches and records below `from` are skipped.
 */
import { SpoolError } from '@spool/common';
import {
  ByteReader,
  CompressionType,
  CONTROL_FLAG_MASK,
  compressionOf,
  decompressRecords,
  iterateBatches,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  timestampTypeOf,
  validateRecordBatch,
} from '@spool/protocol';
import { ascii, ByteOut } from './byte-out.js';
import { hintOfContentType, isContentTypeName, OCTET_STREAM, TEXT_PLAIN_UTF8, ValueHint } from './content-type.js';
import { copyJson, writeJsonString } from './json-bytes.js';
import { readFormatsKey, type ReadFormat, type ReadFormats } from './record-formats.js';
import { RenderedRecords } from './rendered-records.js';

const OPEN = ascii('{"offset":');
const TIMESTAMP = ascii(',"timestamp":');
const KEY = ascii(',"key":');
const VALUE = ascii(',"value":');
const HEADERS = ascii(',"headers":{');
const NULL = ascii('null');
const KEY_BASE64 = ascii(',"keyEncoding":"base64"');
const VALUE_BASE64 = ascii(',"valueEncoding":"base64"');
const HEADER_ENCODINGS = ascii(',"headerEncodings":{');
const BASE64_VALUE = ascii(':"base64"');
const CLOSE = ascii('},');
const NO_HEADERS_CLOSE = ascii(',"headers":{}},');
const COMMA = ascii(',');
const TEXT_PLAIN_BYTES = Buffer.from(TEXT_PLAIN_UTF8, 'latin1');
const OCTET_STREAM_BYTES = Buffer.from(OCTET_STREAM, 'latin1');

/**
 * Decodes schema-encoded bytes to JSON text: null when they do not name a schema it knows; throws
 * when the payload does not decode with it. The app gives the schema registry's.
 */
export interface SchemaDecoder {
  decodeToJson(bytes: Uint8Array): { readonly json: string; readonly schemaId: number } | null;
}

const KEY_SCHEMA_ID = ascii(',"keySchemaId":');
const VALUE_SCHEMA_ID = ascii(',"valueSchemaId":');

/** How a field came out. */
const enum Outcome {
  /** As asked (or as `auto` found it). */
  Ok = 0,
  /** As base64, which `auto` chose: the marker says so. */
  Base64 = 1,
  /** As base64 because the bytes do not fit the explicit format: marker and error. */
  Mismatch = 2,
}

function equalBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array): boolean {
  if (aEnd - aStart !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[aStart + i] !== b[i]) return false;
  return true;
}

export class RecordRenderer {
  /** Names the rendering: feeds share reads only with feeds whose renderer has the same key. */
  readonly key: string;
  private readonly headersAsBase64: boolean;
  // Per-record header positions, reused across records: [nameStart, nameEnd, valueStart, valueLength].
  private headerPositions = new Int32Array(64);
  private headerOutcomes = new Uint8Array(16);
  private lastTimestamp = NaN;
  /** `,"timestamp":<lastTimestamp>,"key":` */
  private timestampKey: Uint8Array = KEY;
  /** `,"timestamp":<lastTimestamp>,"key":null,"value":` */
  private timestampNullKey: Uint8Array = KEY;
  /** The schema id of the field `field()` just decoded, or -1. */
  private decodedSchemaId = -1;

  constructor(
    readonly formats: ReadFormats,
    private readonly decoder?: SchemaDecoder,
  ) {
    this.key = readFormatsKey(formats);
    this.headersAsBase64 = formats.value === 'binary';
  }

  /**
   * Renders the records at or after `from` in `batches` (whole stored batches, as a partition
   * read returns them), at most `limit` of them. nextOffset: past the last batch, or past the
   * last rendered record when the limit cut the batches short.
   */
  render(batches: Buffer, from: number, limit = Infinity): RenderedRecords {
    const out = new ByteOut(Math.min(batches.length, limit * 256) * 2 + 1024);
    const index = new RecordIndex(Math.min(limit, Math.ceil(batches.length / 64)) + 16);
    let nextOffset = from;
    for (const { pos, size, header } of iterateBatches(batches)) {
      if (index.count >= limit) {
        nextOffset = index.lastOffset + 1;
        break;
      }
      const lastOffset = header.baseOffset + header.lastOffsetDelta;
      if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
      if (lastOffset < from || (header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
      validateRecordBatch(batches, pos);
      const compression = compressionOf(header.attributes);
      const reader =
        compression === CompressionType.None
          ? new ByteReader(batches, pos + RECORD_BATCH_OVERHEAD, pos + size)
          : new ByteReader(decompressRecords(compression, batches.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size)));
      const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime ? header.maxTimestamp : null;
      this.renderBatch(reader, header.baseOffset, header.baseTimestamp, logAppendTime, header.recordCount, header.lastOffsetDelta, from, limit, out, index);
      if (index.count >= limit) nextOffset = index.lastOffset + 1;
    }
    return index.finish(out, nextOffset);
  }

  private renderBatch(
    reader: ByteReader,
    baseOffset: number,
    baseTimestamp: number,
    logAppendTime: number | null,
    recordCount: number,
    lastOffsetDelta: number,
    from: number,
    limit: number,
    out: ByteOut,
    index: RecordIndex,
  ): void {
    const src = reader.buf;
    let previousDelta = -1;
    for (let r = 0; r < recordCount && index.count < limit; r++) {
      const length = reader.readVarInt();
      if (length < 6) throw corrupt(`record ${r} declares length ${length}`);
      const outerEnd = reader.pushLimit(length, 'record');
      reader.skip(1); // attributes: unused
      const timestampDelta = reader.readVarLong();
      const offsetDelta = reader.readVarInt();
      const keyLength = reader.readVarInt();
      const keyStart = reader.position;
      if (keyLength >= 0) reader.skip(keyLength, 'record key');
      else if (keyLength !== -1) throw corrupt(`record ${r} has key length ${keyLength}`);
      const valueLength = reader.readVarInt();
      const valueStart = reader.position;
      if (valueLength >= 0) reader.skip(valueLength, 'record value');
      else if (valueLength !== -1) throw corrupt(`record ${r} has value length ${valueLength}`);
      const headerCount = reader.readVarInt();
      if (headerCount < 0 || headerCount * 2 > reader.remaining) throw corrupt(`record ${r} has header count ${headerCount}`);
      if (headerCount * 4 > this.headerPositions.length) this.headerPositions = new Int32Array(headerCount * 8);
      if (headerCount > this.headerOutcomes.length) this.headerOutcomes = new Uint8Array(headerCount * 2);
      const hp = this.headerPositions;
      let hint = ValueHint.None;
      for (let h = 0; h < headerCount; h++) {
        const nameLength = reader.readVarInt();
        if (nameLength < 0) throw corrupt(`record ${r} header ${h} has name length ${nameLength}`);
        const nameStart = reader.position;
        reader.skip(nameLength, 'record header name');
        const headerValueLength = reader.readVarInt();
        const headerValueStart = reader.position;
        if (headerValueLength >= 0) reader.skip(headerValueLength, 'record header value');
        else if (headerValueLength !== -1) throw corrupt(`record ${r} header ${h} has value length ${headerValueLength}`);
        hp[h * 4] = nameStart;
        hp[h * 4 + 1] = nameStart + nameLength;
        hp[h * 4 + 2] = headerValueStart;
        hp[h * 4 + 3] = headerValueLength;
        if (headerValueLength >= 0 && isContentTypeName(src, nameStart, nameStart + nameLength)) {
          hint = hintAt(src, headerValueStart, headerValueStart + headerValueLength);
        }
      }
      if (reader.remaining !== 0) throw corrupt(`record ${r} declares length ${length} but its fields end ${reader.remaining} bytes early`);
      reader.popLimit(outerEnd);
      if (offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta) {
        throw corrupt(`record ${r} has offsetDelta ${offsetDelta} (previous ${previousDelta}, lastOffsetDelta ${lastOffsetDelta})`);
      }
      previousDelta = offsetDelta;
      const offset = baseOffset + offsetDelta;
      if (offset < from) continue;
      const timestamp = logAppendTime ?? baseTimestamp + timestampDelta;
      if (!Number.isSafeInteger(timestamp)) throw corrupt(`record ${r} has timestamp ${timestamp} outside the safe integer range`);

      index.add(offset, out.pos);
      out.literal(OPEN);
      out.integer(offset);
      // Records of a batch mostly share their timestamp: its digits are written once. Literals
      // that follow each other are written as one (a null key, no headers: the common record).
      if (timestamp !== this.lastTimestamp) this.cacheTimestamp(timestamp);
      let keyOutcome: Outcome = Outcome.Ok;
      let keySchemaId = -1;
      if (keyLength < 0) out.literal(this.timestampNullKey);
      else {
        out.literal(this.timestampKey);
        this.decodedSchemaId = -1;
        keyOutcome = this.field(src, keyStart, keyLength, this.formats.key, ValueHint.None, out);
        keySchemaId = this.decodedSchemaId;
        out.literal(VALUE);
      }
      this.decodedSchemaId = -1;
      const valueOutcome = this.field(src, valueStart, valueLength, this.formats.value, this.formats.value === 'auto' ? hint : ValueHint.None, out);
      const valueSchemaId = this.decodedSchemaId;
      let headerFlags = 0;
      if (headerCount === 0 && keyOutcome === Outcome.Ok && valueOutcome === Outcome.Ok && keySchemaId < 0 && valueSchemaId < 0) {
        out.literal(NO_HEADERS_CLOSE);
        continue;
      }
      out.literal(HEADERS);
      for (let h = 0; h < headerCount; h++) {
        if (h > 0) out.byte(0x2c);
        this.headerName(src, hp[h * 4], hp[h * 4 + 1], out);
        out.byte(0x3a);
        const outcome = this.headerValue(src, hp[h * 4 + 2], hp[h * 4 + 3], out);
        this.headerOutcomes[h] = outcome;
        headerFlags |= outcome;
      }
      out.byte(0x7d);
      if (keyOutcome !== Outcome.Ok) out.literal(KEY_BASE64);
      if (valueOutcome !== Outcome.Ok) out.literal(VALUE_BASE64);
      if (keySchemaId >= 0) {
        out.literal(KEY_SCHEMA_ID);
        out.integer(keySchemaId);
      }
      if (valueSchemaId >= 0) {
        out.literal(VALUE_SCHEMA_ID);
        out.integer(valueSchemaId);
      }
      if (headerFlags !== 0) this.headerEncodings(src, headerCount, out);
      if ((keyOutcome | valueOutcome | headerFlags) & Outcome.Mismatch) this.error(src, keyOutcome, valueOutcome, headerCount, out);
      out.literal(CLOSE);
    }
  }

  private cacheTimestamp(timestamp: number): void {
    this.lastTimestamp = timestamp;
    const digits = new ByteOut(64);
    digits.literal(TIMESTAMP);
    digits.integer(timestamp);
    digits.literal(KEY);
    this.timestampKey = digits.done();
    digits.literal(NULL);
    digits.literal(VALUE);
    this.timestampNullKey = digits.done();
  }

  /** A key or value: null, or rendered per `format` (`hint`: the value's content-type, auto only). */
  private field(src: Buffer, start: number, length: number, format: ReadFormat, hint: ValueHint, out: ByteOut): Outcome {
    if (length < 0) {
      out.literal(NULL);
      return Outcome.Ok;
    }
    const end = start + length;
    switch (format) {
      case 'binary':
        out.base64(src, start, end);
        return Outcome.Ok;
      case 'string':
        if (this.string(src, start, end, out)) return Outcome.Ok;
        out.base64(src, start, end);
        return Outcome.Mismatch;
      case 'json':
        if (this.json(src, start, end, out)) return Outcome.Ok;
        if (this.decoded(src, start, end, out)) return Outcome.Ok;
        out.base64(src, start, end);
        return Outcome.Mismatch;
      case 'auto':
        if (hint !== ValueHint.Binary) {
          if (hint !== ValueHint.Text && this.json(src, start, end, out)) return Outcome.Ok;
          if (this.string(src, start, end, out)) return Outcome.Ok;
        }
        out.base64(src, start, end);
        return Outcome.Base64;
    }
  }

  /** Stored JSON, checked and copied in one pass (without whitespace between tokens). */
  private json(src: Buffer, start: number, end: number, out: ByteOut): boolean {
    out.ensure(end - start);
    const written = copyJson(src, start, end, out.buf, out.pos);
    if (written < 0) return false;
    out.pos = written;
    return true;
  }

  /** Schema-encoded bytes decoded with their schema (see the top of the file); sets decodedSchemaId. */
  private decoded(src: Buffer, start: number, end: number, out: ByteOut): boolean {
    if (this.decoder === undefined || end - start < 5 || src[start] !== 0) return false;
    let decoded: { json: string; schemaId: number } | null;
    try {
      decoded = this.decoder.decodeToJson(src.subarray(start, end));
    } catch {
      return false;
    }
    if (decoded === null) return false;
    out.text(decoded.json);
    this.decodedSchemaId = decoded.schemaId;
    return true;
  }

  private string(src: Buffer, start: number, end: number, out: ByteOut): boolean {
    out.ensure(2 + 6 * (end - start));
    const written = writeJsonString(src, start, end, out.buf, out.pos);
    if (written < 0) return false;
    out.pos = written;
    return true;
  }

  private headerName(src: Buffer, start: number, end: number, out: ByteOut): void {
    if (!this.string(src, start, end, out)) out.text(JSON.stringify(src.toString('utf8', start, end)));
  }

  private headerValue(src: Buffer, start: number, length: number, out: ByteOut): Outcome {
    if (length < 0) {
      out.literal(NULL);
      return Outcome.Ok;
    }
    if (this.headersAsBase64) {
      out.base64(src, start, start + length);
      return Outcome.Ok;
    }
    if (this.string(src, start, start + length, out)) return Outcome.Ok;
    out.base64(src, start, start + length);
    return this.formats.value === 'auto' ? Outcome.Base64 : Outcome.Mismatch;
  }

  /**
   * `"headerEncodings":{...}` naming each header whose rendered value is base64: for a repeated
   * name the last value is the one a JSON parser keeps, so only it counts.
   */
  private headerEncodings(src: Buffer, headerCount: number, out: ByteOut): void {
    let written = 0;
    for (let h = 0; h < headerCount; h++) {
      if (this.headerOutcomes[h] === Outcome.Ok || this.repeatedLater(src, h, headerCount)) continue;
      out.literal(written === 0 ? HEADER_ENCODINGS : COMMA);
      written++;
      this.headerName(src, this.headerPositions[h * 4], this.headerPositions[h * 4 + 1], out);
      out.literal(BASE64_VALUE);
    }
    if (written > 0) out.byte(0x7d);
  }

  private repeatedLater(src: Buffer, h: number, headerCount: number): boolean {
    const hp = this.headerPositions;
    const name = src.subarray(hp[h * 4], hp[h * 4 + 1]);
    for (let later = h + 1; later < headerCount; later++) if (equalBytes(src, hp[later * 4], hp[later * 4 + 1], name)) return true;
    return false;
  }

  private error(src: Buffer, key: Outcome, value: Outcome, headerCount: number, out: ByteOut): void {
    const parts: string[] = [];
    const what = (format: ReadFormat): string => (format === 'json' ? 'JSON' : 'UTF-8');
    if (key === Outcome.Mismatch) parts.push(`the key is not ${what(this.formats.key)} (keyFormat=${this.formats.key})`);
    if (value === Outcome.Mismatch) parts.push(`the value is not ${what(this.formats.value)} (valueFormat=${this.formats.value})`);
    for (let h = 0; h < headerCount; h++) {
      if (this.headerOutcomes[h] !== Outcome.Mismatch) continue;
      parts.push(`header ${JSON.stringify(src.toString('utf8', this.headerPositions[h * 4], this.headerPositions[h * 4 + 1]))} is not UTF-8`);
    }
    const message = `${parts.join('; ')}: rendered as base64 (see keyEncoding, valueEncoding, headerEncodings)`;
    out.text(`,"error":{"code":"RECORD_FORMAT_MISMATCH","message":${JSON.stringify(message)}}`);
  }
}

/** Where each rendered record starts and its offset, in growable typed arrays (no per-record allocation). */
class RecordIndex {
  starts: Int32Array;
  offsets: Float64Array;
  count = 0;

  constructor(capacity: number) {
    this.starts = new Int32Array(capacity + 1);
    this.offsets = new Float64Array(capacity);
  }

  get lastOffset(): number {
    return this.offsets[this.count - 1];
  }

  add(offset: number, start: number): void {
    if (this.count === this.offsets.length) {
      const starts = new Int32Array(this.offsets.length * 2 + 1);
      starts.set(this.starts);
      const offsets = new Float64Array(this.offsets.length * 2);
      offsets.set(this.offsets);
      this.starts = starts;
      this.offsets = offsets;
    }
    this.starts[this.count] = start;
    this.offsets[this.count++] = offset;
  }

  finish(out: ByteOut, nextOffset: number): RenderedRecords {
    this.starts[this.count] = out.pos;
    return new RenderedRecords(out.done(), this.starts.subarray(0, this.count + 1), this.offsets.subarray(0, this.count), nextOffset);
  }
}

function hintAt(src: Buffer, start: number, end: number): ValueHint {
  if (equalBytes(src, start, end, TEXT_PLAIN_BYTES)) return ValueHint.Text;
  if (equalBytes(src, start, end, OCTET_STREAM_BYTES)) return ValueHint.Binary;
  return hintOfContentType(src.toString('latin1', start, end));
}

function corrupt(what: string): SpoolError {
  return new SpoolError('CORRUPT_MESSAGE', `stored record batch: ${what}`);
}

const renderers = new Map<string, RecordRenderer>();
const decodingRenderers = new WeakMap<SchemaDecoder, Map<string, RecordRenderer>>();

/**
 * One renderer per pair of formats (renderers are stateless between calls; their scratch space is
 * reused), and per schema decoder: the faces pass the broker's, tests may pass none.
 */
export function rendererFor(formats: ReadFormats, decoder?: SchemaDecoder): RecordRenderer {
  const key = readFormatsKey(formats);
  let cache = renderers;
  if (decoder !== undefined) {
    cache = decodingRenderers.get(decoder) ?? new Map();
    decodingRenderers.set(decoder, cache);
  }
  let renderer = cache.get(key);
  if (renderer === undefined) {
    renderer = new RecordRenderer({ key: formats.key, value: formats.value }, decoder);
    cache.set(key, renderer);
  }
  return renderer;
}
