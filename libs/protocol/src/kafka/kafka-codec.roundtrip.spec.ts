import { ByteReader } from '../byte-reader.js';
import { ByteWriter } from '../byte-writer.js';
import { ProtocolError } from '../protocol.error.js';
import * as generated from './generated/index.js';
import { decodeKafkaMessage, encodeKafkaMessage, KAFKA_APIS } from './kafka-api-registry.js';
import type { KafkaMessageCodec } from './kafka-schema.js';
import { defaultStructValue, sampleMessage, seededRandom } from './kafka-sample-values.js';

/**
 * Every generated codec (requests, responses, headers, data messages) at every valid version:
 * sample values built from the schema alone, encode -> decode -> deep-equal, encode again ->
 * the same bytes, and every strict prefix of the encoding rejected with CORRUPT_MESSAGE.
 */
const SEED = 0x5eed_c0de;
const SAMPLES_PER_VERSION = 3;

const codecs: [string, KafkaMessageCodec<unknown>][] = Object.entries(generated)
  .filter(([name]) => name.endsWith('_CODEC'))
  .map(([name, codec]) => [name, codec as KafkaMessageCodec<unknown>]);

function versionsOf(codec: KafkaMessageCodec<unknown>): number[] {
  const [min, max] = codec.schema.validVersions;
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

const cases = codecs.flatMap(([name, codec]) =>
  versionsOf(codec).map((version): [string, number, KafkaMessageCodec<unknown>] => [name, version, codec]),
);

/** Prefix lengths to try: all of them for short encodings, 48 spread out (and the edges) otherwise. */
function prefixEnds(length: number): number[] {
  if (length <= 48) return Array.from({ length }, (_, i) => i);
  const ends = new Set([0, 1, 2, 3, length - 3, length - 2, length - 1]);
  for (let i = 0; i < 48; i++) ends.add(Math.floor((i * length) / 48));
  return [...ends];
}

function decodeOutcome(codec: KafkaMessageCodec<unknown>, bytes: Buffer, version: number): string {
  try {
    codec.read(new ByteReader(bytes), version);
    return 'decoded';
  } catch (err) {
    return err instanceof ProtocolError ? err.code : String(err);
  }
}

describe('generated Kafka codecs', () => {
  it('cover every spec: 186 messages, every API with a request and a response', () => {
    expect(codecs).toHaveLength(186);
    expect(KAFKA_APIS.length).toBeGreaterThanOrEqual(80);
    for (const api of KAFKA_APIS) {
      expect(api.request.schema.name).toBe(`${api.name}Request`);
      expect(api.response.schema.name).toBe(`${api.name}Response`);
    }
  });

  it.each(cases)('%s v%i round-trips sample values', (name, version, codec) => {
    const random = seededRandom(SEED ^ (version * 7919) ^ name.length * 104729);
    for (let i = 0; i < SAMPLES_PER_VERSION; i++) {
      const sample = sampleMessage(codec.schema, version, random, { nullChance: i === 0 ? 0 : 0.25 });
      const bytes = encodeKafkaMessage(codec, sample, version);
      const decoded = decodeKafkaMessage(codec, bytes, version);
      try {
        expect(decoded).toEqual(sample);
        expect(encodeKafkaMessage(codec, decoded, version).equals(bytes)).toBe(true);
      } catch (err) {
        throw new Error(`${name} v${version} sample ${i} (seed ${SEED}): ${(err as Error).message}`);
      }
      if (i === 0) {
        for (const end of prefixEnds(bytes.length)) {
          const outcome = decodeOutcome(codec, bytes.subarray(0, end), version);
          if (outcome !== 'CORRUPT_MESSAGE') throw new Error(`${name} v${version}: prefix of ${end}/${bytes.length} bytes gave ${outcome}`);
        }
      }
    }
  });

  it.each(cases)('%s v%i: defaults() matches the schema defaults and encodes', (_name, version, codec) => {
    expect(codec.defaults()).toEqual(defaultStructValue(codec.schema.fields));
    const writer = new ByteWriter();
    codec.write(writer, codec.defaults(), version);
    expect(codec.read(new ByteReader(writer.toBuffer()), version)).toEqual(codec.defaults());
  });
});
