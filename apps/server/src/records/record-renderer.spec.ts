/**
 * The renderer against a reference written the slow, obvious way (TextDecoder + JSON.parse): for
 * random records of random bytes, every rendering parses as JSON and says what the reference says.
 * Seeded; fast-check prints the seed and the counterexample on failure.
 */
import fc from 'fast-check';
import { CompressionType, encodeRecordBatch, TimestampType, writeBaseOffset, type RecordInput } from '@spool/protocol';
import type { ReadFormat } from './record-formats.js';
import { RecordRenderer } from './record-renderer.js';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8(bytes: Uint8Array): string | null {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    return null;
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

type Hint = 'json' | 'text' | 'binary' | 'none';

/** [rendered value, base64 marker?, error?] the way record-formats.ts describes each format. */
function reference(bytes: Uint8Array | null, format: ReadFormat, hint: Hint = 'none'): [unknown, boolean, boolean] {
  if (bytes === null) return [null, false, false];
  const text = utf8(bytes);
  const json = (): { ok: boolean; value?: unknown } => {
    if (text === null) return { ok: false };
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false };
    }
  };
  switch (format) {
    case 'binary':
      return [b64(bytes), false, false];
    case 'string':
      return text === null ? [b64(bytes), true, true] : [text, false, false];
    case 'json': {
      const parsed = json();
      return parsed.ok ? [parsed.value, false, false] : [b64(bytes), true, true];
    }
    case 'auto': {
      if (hint === 'binary') return [b64(bytes), true, false];
      const parsed = hint === 'text' ? { ok: false } : json();
      if (parsed.ok) return [parsed.value, false, false];
      return text === null ? [b64(bytes), true, false] : [text, false, false];
    }
  }
}

function batch(records: RecordInput[], options: { baseOffset?: number; compression?: CompressionType; timestampType?: TimestampType; isControl?: boolean } = {}): Buffer {
  const buf = encodeRecordBatch({ records, now: 1_700_000_000_000, compression: options.compression, timestampType: options.timestampType, isControl: options.isControl });
  writeBaseOffset(buf, 0, options.baseOffset ?? 0);
  return buf;
}

function parseAll(renderer: RecordRenderer, batches: Buffer, from = 0, limit?: number) {
  const rendered = renderer.render(batches, from, limit);
  const records = JSON.parse(`[${rendered.arrayBody(0, rendered.count).toString('utf8')}]`) as Array<Record<string, unknown>>;
  for (let i = 0; i < rendered.count; i++) {
    expect(JSON.parse(rendered.json(i).toString('utf8'))).toEqual(records[i]);
    expect(rendered.bytes(i)).toBe(rendered.json(i).length);
  }
  return { rendered, records };
}

const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v, null, 2) ?? 'null', 'utf8')),
  fc.string({ unit: 'binary', maxLength: 16 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom(Buffer.alloc(0), Buffer.from('null'), Buffer.from('"quoted"'), Buffer.from('42'), Buffer.from([0xff]), Buffer.from('a\nb"\\')),
);
const nullableBytes = fc.option(bytesArb, { nil: null, freq: 6 });
const headerArb = fc.record({ key: fc.string({ maxLength: 6 }), value: nullableBytes });
const recordArb = fc.record({ key: nullableBytes, value: nullableBytes, headers: fc.array(headerArb, { maxLength: 3 }) });

describe('RecordRenderer', () => {
  for (const keyFormat of ['auto', 'json', 'string', 'binary'] as const) {
    for (const valueFormat of ['auto', 'json', 'string', 'binary'] as const) {
      it(`renders random records as the reference says (keyFormat=${keyFormat}, valueFormat=${valueFormat})`, () => {
        const renderer = new RecordRenderer({ key: keyFormat, value: valueFormat });
        fc.assert(
          fc.property(fc.array(recordArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (inputs, gzip) => {
            // A content-type header would steer auto: keep it out here (tested below).
            const records = inputs.map((r) => ({ ...r, headers: r.headers.filter((h) => h.key.toLowerCase() !== 'content-type') }));
            const { records: out } = parseAll(renderer, batch(records, { baseOffset: 10, compression: gzip ? CompressionType.Gzip : undefined }));
            expect(out).toHaveLength(records.length);
            records.forEach((input, i) => {
              const got = out[i];
              const [key, keyMarked, keyError] = reference(input.key, keyFormat);
              const [value, valueMarked, valueError] = reference(input.value, valueFormat);
              expect(got.offset).toBe(10 + i);
              expect(got.timestamp).toBe(1_700_000_000_000);
              expect(got.key).toEqual(key);
              expect(got.value).toEqual(value);
              expect(got.keyEncoding).toBe(keyMarked ? 'base64' : undefined);
              expect(got.valueEncoding).toBe(valueMarked ? 'base64' : undefined);
              const headers: Record<string, string | null> = {};
              const encodings: Record<string, string> = {};
              let headerError = false;
              for (const h of input.headers) {
                const text = h.value === null ? null : utf8(h.value);
                delete encodings[h.key];
                if (h.value === null) headers[h.key] = null;
                else if (valueFormat === 'binary') headers[h.key] = b64(h.value);
                else if (text !== null) headers[h.key] = text;
                else {
                  headers[h.key] = b64(h.value);
                  encodings[h.key] = 'base64';
                  headerError ||= valueFormat !== 'auto';
                }
              }
              expect(got.headers).toEqual(headers);
              expect(got.headerEncodings).toEqual(Object.keys(encodings).length > 0 ? encodings : undefined);
              expect(got.error !== undefined).toBe(keyError || valueError || headerError);
              if (got.error !== undefined) expect(got.error).toEqual({ code: 'RECORD_FORMAT_MISMATCH', message: expect.stringContaining('rendered as base64') });
            });
          }),
          { seed: 1010, numRuns: 150 },
        );
      });
    }
  }

  it('honours a content-type header in auto: text stays a string, octet-stream is base64, json is JSON when it is', () => {
    const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });
    const ct = (type: string) => [{ key: 'content-type', value: Buffer.from(type) }];
    const { records } = parseAll(
      renderer,
      batch([
        { key: Buffer.from('42'), value: Buffer.from('42'), headers: ct('text/plain; charset=utf-8') },
        { value: Buffer.from('{"a":1}'), headers: ct('Text/CSV') },
        { value: Buffer.from('hello'), headers: ct('application/octet-stream') },
        { value: Buffer.from('{"a":1}'), headers: ct('application/cloudevents+json') },
        { value: Buffer.from('not json'), headers: [{ key: 'Content-Type', value: Buffer.from('application/json') }] },
        { value: Buffer.from([0xff]), headers: ct('text/plain') },
        { value: Buffer.from('{"a":1}') },
      ]),
    );
    expect(records.map((r) => [r.key, r.value, r.valueEncoding])).toEqual([
      [42, '42', undefined], // the header speaks for the value only
      [null, '{"a":1}', undefined],
      [null, 'aGVsbG8=', 'base64'],
      [null, { a: 1 }, undefined],
      [null, 'not json', undefined],
      [null, '/w==', 'base64'],
      [null, { a: 1 }, undefined],
    ]);
    // Explicit formats ignore the header.
    const json = new RecordRenderer({ key: 'auto', value: 'json' });
    expect(parseAll(json, batch([{ value: Buffer.from('42'), headers: ct('text/plain') }])).records[0].value).toBe(42);
  });

  it('copies stored JSON token for token (1.0 stays 1.0), without the whitespace between tokens', () => {
    const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });
    const pretty = Buffer.from('{\n  "a": [1, 2.50, "x y"],\r\n  "b": null\n}\n');
    const { rendered } = parseAll(renderer, batch([{ value: Buffer.from('{"n": 1.0, "s":"\\u00e9"}') }, { value: pretty }]));
    expect(rendered.json(0).toString()).toContain('"value":{"n":1.0,"s":"\\u00e9"}');
    expect(rendered.json(1).toString()).toContain('"value":{"a":[1,2.50,"x y"],"b":null}');
    expect(rendered.buf.includes(0x0a)).toBe(false);
  });

  it('skips records below `from` and control batches, stops at `limit`, and says where to read next', () => {
    const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });
    const values = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(String(base + i)) }));
    const batches = Buffer.concat([
      batch(values(5, 0), { baseOffset: 0 }),
      batch([{ value: Buffer.from([0, 0, 0, 0]) }], { baseOffset: 5, isControl: true }),
      batch(values(3, 6), { baseOffset: 6, timestampType: TimestampType.LogAppendTime }),
    ]);
    const all = parseAll(renderer, batches, 3);
    expect(all.records.map((r) => r.value)).toEqual([3, 4, 6, 7, 8]);
    expect(all.rendered.nextOffset).toBe(9);
    const limited = parseAll(renderer, batches, 3, 3);
    expect(limited.records.map((r) => r.offset)).toEqual([3, 4, 6]);
    expect(limited.rendered.nextOffset).toBe(7);
    const onlyControl = renderer.render(batches.subarray(batch(values(5, 0)).length), 5, 1);
    expect(onlyControl.count).toBe(1);
  });

  it('fails a corrupt stored batch with CORRUPT_MESSAGE rather than rendering it', () => {
    const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });
    const good = batch([{ value: Buffer.from('"x"') }]);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 2] ^= 0xff;
    expect(() => renderer.render(flipped, 0)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });

  it('shares a built frame between streams at the same position with the same head', () => {
    const renderer = new RecordRenderer({ key: 'auto', value: 'auto' });
    const rendered = renderer.render(batch([{ value: Buffer.from('1') }, { value: Buffer.from('2') }]), 0);
    const head = '{"type":"records","id":"s","topic":"t","partition":0,';
    const frame = rendered.frameFor(head, 0, 2);
    expect(rendered.frameFor(head, 0, 2)).toBe(frame);
    expect(JSON.parse(frame.toString())).toEqual({
      type: 'records', id: 's', topic: 't', partition: 0, bytes: rendered.bytesOf(0, 2),
      records: [expect.objectContaining({ offset: 0, value: 1 }), expect.objectContaining({ offset: 1, value: 2 })],
    });
    expect(rendered.frameFor(head, 1, 2)).not.toBe(frame);
  });
});
