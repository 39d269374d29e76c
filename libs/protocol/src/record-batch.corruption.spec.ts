import fc from 'fast-check';
import { ProtocolError } from './protocol.error.js';
import { CompressionType, writeRecordBatchCrc } from './record-batch-header.js';
import { iterateBatches } from './record-batch-iterator.js';
import { decodeRecordBatch, encodeRecordBatch, type DecodedRecordBatch } from './record-batch.codec.js';

/**
 * Hostile and damaged input: whatever the bytes, decoding ends in a result or a ProtocolError,
 * never another exception type and never a hang (every loop in the decoder is bounded by bytes).
 */
const SEED = Number(process.env.FC_SEED ?? 31337);
const T0 = 1_700_000_000_000;

const small = encodeRecordBatch({
  baseOffset: 3,
  records: [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
    { key: null, value: Buffer.from('v2'), timestamp: T0 + 5, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }] },
    { key: Buffer.from('k3'), value: null, timestamp: T0 - 2 },
  ],
});
const smallGzip = encodeRecordBatch({
  records: [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
    { key: null, value: Buffer.from('v2'), timestamp: T0 + 5, headers: [{ key: 'h', value: Buffer.from('x') }] },
  ],
  compression: CompressionType.Gzip,
});

type Outcome = { ok: DecodedRecordBatch } | { error: ProtocolError };

/** Decodes and iterates; any exception other than ProtocolError fails the test. */
function attempt(buf: Buffer): Outcome {
  try {
    for (const _batch of iterateBatches(buf, { validate: true })) {
      // walking is the check
    }
    return { ok: decodeRecordBatch(buf) };
  } catch (err) {
    if (err instanceof ProtocolError) return { error: err };
    throw new Error(`not a ProtocolError: ${String(err)}\n${buf.toString('hex')}`, { cause: err });
  }
}

function flipped(buf: Buffer, byte: number, bit: number): Buffer {
  const copy = Buffer.from(buf);
  copy[byte] ^= 1 << bit;
  return copy;
}

/** The fields outside the CRC: baseOffset (0-7) and partitionLeaderEpoch (12-15). */
function outsideCrc(byte: number): boolean {
  return byte < 8 || (byte >= 12 && byte < 16);
}

describe.each([
  ['uncompressed', small],
  ['gzip', smallGzip],
])('a damaged %s batch', (_name, batch) => {
  const original = decodeRecordBatch(batch);
  const values = original.records.map((r) => [r.key, r.value, r.headers]);

  it('every single-bit flip is caught by the CRC or the length/magic checks, except in the two fields the CRC does not cover', () => {
    for (let byte = 0; byte < batch.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const outcome = attempt(flipped(batch, byte, bit));
        if (!outsideCrc(byte)) {
          expect(['error', byte, bit]).toEqual([Object.keys(outcome)[0], byte, bit]);
        } else if ('ok' in outcome) {
          // baseOffset / partitionLeaderEpoch changed, records otherwise intact (Kafka's design).
          expect(outcome.ok.records.map((r) => [r.key, r.value, r.headers])).toEqual(values);
        } else {
          expect(outcome.error.code).toBe('CORRUPT_MESSAGE'); // a baseOffset beyond 2^53
        }
      }
    }
  });

  it('every truncation is CORRUPT_MESSAGE, and iterateBatches sees no whole batch', () => {
    for (let length = 0; length < batch.length; length++) {
      const cut = batch.subarray(0, length);
      const outcome = attempt(cut);
      expect(['error' in outcome && outcome.error.code, length]).toEqual(['CORRUPT_MESSAGE', length]);
      expect([...iterateBatches(cut)]).toEqual([]);
    }
  });

  it('every bit flip with the CRC resealed (structural damage the CRC cannot see) is decoded or refused with a ProtocolError', () => {
    let refused = 0;
    for (let byte = 21; byte < batch.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = flipped(batch, byte, bit);
        writeRecordBatchCrc(copy, 0);
        if ('error' in attempt(copy)) refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it(`random byte rewrites with the CRC resealed never escape as another exception (seed ${SEED})`, () => {
    const edit = fc.array(fc.tuple(fc.nat({ max: batch.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(edit, fc.boolean(), (edits, reseal) => {
        const copy = Buffer.from(batch);
        for (const [at, value] of edits) copy[at] = value;
        if (reseal && copy.readInt32BE(8) + 12 === copy.length && copy[16] === 2) writeRecordBatchCrc(copy, 0);
        attempt(copy);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

it('hostile lengths inside a resealed batch fail before allocating', () => {
  // record 0 of `small` claims a 2^31-1 byte key: refused without allocating it.
  const hostile = Buffer.concat([small.subarray(0, 65), Buffer.from('feffffff0f', 'hex'), small.subarray(66)]);
  hostile.writeInt32BE(hostile.length - 12, 8);
  writeRecordBatchCrc(hostile, 0);
  const outcome = attempt(hostile);
  expect('error' in outcome && outcome.error.message).toMatch(/record key needs 2147483647 bytes at position 70, only \d+ remain/);
});
