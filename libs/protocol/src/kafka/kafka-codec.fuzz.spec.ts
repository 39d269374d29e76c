import fc from 'fast-check';
import { ByteReader } from '../byte-reader.js';
import { ProtocolError } from '../protocol.error.js';
import { decodeKafkaRequestFrame, encodeKafkaRequestFrame } from './kafka-frame.codec.js';
import { encodeKafkaMessage, KAFKA_APIS } from './kafka-api-registry.js';
import type { KafkaMessageCodec } from './kafka-schema.js';
import { sampleMessage, seededRandom } from './kafka-sample-values.js';

/**
 * Hostile input: random, truncated and bit-flipped bodies and frames for every API and version.
 * Decoding either succeeds or throws ProtocolError, and never allocates more than the input can
 * pay for (the decoders check every length and count against what remains; a decoded value is
 * at most a constant factor larger than its bytes, which the size check below bounds).
 * Seeded: a failure prints its seed and path, and re-running reproduces it.
 */
const SEED = 20_240_517;
const NUM_RUNS = 4000;

interface Target {
  codec: KafkaMessageCodec<unknown>;
  apiKey: number;
  version: number;
  request: boolean;
}

const targets: Target[] = KAFKA_APIS.flatMap((api) =>
  Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i).flatMap((version) => [
    { codec: api.request, apiKey: api.apiKey, version, request: true },
    { codec: api.response, apiKey: api.apiKey, version, request: false },
  ]),
);

/** Valid encodings to mutate, one per target, built from the schemas with a fixed seed. */
const random = seededRandom(SEED);
const valid = targets.map((t) => {
  const sample = sampleMessage(t.codec.schema, t.version, random);
  return { ...t, sample, bytes: encodeKafkaMessage(t.codec, sample, t.version) };
});

/** Decodes and checks the outcome: a value or a ProtocolError, nothing else. */
function decodeSafely(codec: KafkaMessageCodec<unknown>, bytes: Buffer, version: number): void {
  try {
    const value = codec.read(new ByteReader(bytes), version);
    // A decoded value cannot be much larger than its input: JSON of it stays within a bound.
    const size = JSON.stringify(value, (_k, v: unknown) => (v instanceof Buffer ? v.length : v)).length;
    if (size > 64 * bytes.length + 4096) throw new Error(`decoded ${bytes.length} bytes into ${size} characters`);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

const params = { seed: SEED, numRuns: NUM_RUNS, verbose: false };

describe('Kafka codecs under hostile input', () => {
  it('random bytes for any API and version decode or throw ProtocolError', () => {
    fc.assert(
      fc.property(fc.nat(targets.length - 1), fc.uint8Array({ maxLength: 300 }), (i, bytes) => {
        decodeSafely(targets[i].codec, Buffer.from(bytes), targets[i].version);
      }),
      params,
    );
  });

  it('bit-flipped valid encodings decode or throw ProtocolError', () => {
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (i, flips) => {
        const { codec, bytes, version } = valid[i];
        if (bytes.length === 0) return;
        const mutated = Buffer.from(bytes);
        for (const f of flips) {
          const bit = f % (mutated.length * 8);
          mutated[bit >> 3] ^= 1 << (bit & 7);
        }
        decodeSafely(codec, mutated, version);
      }),
      params,
    );
  });

  it('overwritten length bytes (0xff / 0x7f runs) decode or throw ProtocolError', () => {
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.nat(), fc.constantFrom(0xff, 0x7f, 0x80), fc.integer({ min: 1, max: 5 }), (i, at, byte, run) => {
        const { codec, bytes, version } = valid[i];
        if (bytes.length === 0) return;
        const mutated = Buffer.from(bytes);
        const start = at % mutated.length;
        mutated.fill(byte, start, Math.min(mutated.length, start + run));
        decodeSafely(codec, mutated, version);
      }),
      params,
    );
  });

  it('truncated request frames throw ProtocolError; extended ones decode the same body, as Kafka reads them', () => {
    const requests = valid.filter((v) => v.request);
    fc.assert(
      fc.property(fc.nat(requests.length - 1), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (i, cut, extra) => {
        const { apiKey, version, sample } = requests[i];
        const frame = encodeKafkaRequestFrame({ requestApiKey: apiKey, requestApiVersion: version, correlationId: 1, clientId: 'fuzz' }, sample).subarray(4);
        expect(() => decodeKafkaRequestFrame(frame.subarray(0, cut % frame.length))).toThrow(ProtocolError);
        const extended = decodeKafkaRequestFrame(Buffer.concat([frame, extra]));
        expect(extended.trailingBytes).toBe(extra.length);
        expect(extended.body).toEqual(decodeKafkaRequestFrame(frame).body);
      }),
      { ...params, numRuns: NUM_RUNS / 4 },
    );
  });
});
