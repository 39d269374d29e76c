/**
 * The Kafka API registry: apiKey -> name, valid versions, flexible versions, and the request and
 * response codecs, for every API in Kafka's message specs (generated/api-messages.ts). What the
 * broker *advertises* in ApiVersions is a separate, smaller list the server owns: this registry
 * only says what Spool can decode and encode.
 *
 * `decode*` read a whole body (the frame after its header) and refuse trailing bytes;
 * `encode*` return a new Buffer holding only the body. Both check the version first:
 * UNSUPPORTED_VERSION outside the API's valid versions.
 *
 * Requests are the exception to "refuse trailing bytes": `readKafkaRequestBody` reads the fields
 * the version defines and leaves whatever follows them unread, as Kafka's broker does
 * (AbstractRequest.parseRequest parses the body from the frame's buffer and never looks at what
 * remains). Clients rely on it: librdkafka up to 2.15 at least asks for "all topics" in a flexible
 * Metadata request (v9+) by leaving the 4-byte int32 placeholder of the topic count in place,
 * whose first byte reads as the compact null array and whose 3 other zero bytes shift the rest
 * of the body, so that the frame ends 3 bytes after Kafka's reader does.
 */
import { ByteReader } from '../byte-reader.js';
import { ByteWriter } from '../byte-writer.js';
import { ProtocolError } from '../protocol.error.js';
import { KAFKA_API_MESSAGES, type KafkaApiName } from './generated/api-messages.js';
import { versionInRange, type KafkaMessageCodec, type KafkaVersionRange } from './kafka-schema.js';

export interface KafkaApi {
  readonly apiKey: number;
  /** Kafka's name without the Request/Response suffix: 'Produce', 'ApiVersions'. */
  readonly name: KafkaApiName;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** As the spec states it, open-ended ("9+" is [9, 0x7fff]); null if never flexible. */
  readonly flexibleVersions: KafkaVersionRange | null;
  // The per-message types live on the generated codecs (PRODUCE_REQUEST_CODEC, ...).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly request: KafkaMessageCodec<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly response: KafkaMessageCodec<any>;
}

const BY_KEY: ReadonlyMap<number, KafkaApi> = new Map(
  KAFKA_API_MESSAGES.map((m): [number, KafkaApi] => [
    m.apiKey,
    {
      apiKey: m.apiKey,
      name: m.name,
      minVersion: m.request.schema.validVersions[0],
      maxVersion: m.request.schema.validVersions[1],
      flexibleVersions: m.request.schema.flexibleVersions,
      request: m.request,
      response: m.response,
    },
  ]),
);

/** Every API the specs define, in apiKey order. */
export const KAFKA_APIS: readonly KafkaApi[] = [...BY_KEY.values()];

export function getKafkaApi(apiKey: number): KafkaApi | undefined {
  return BY_KEY.get(apiKey);
}

export function isKafkaApiVersionValid(apiKey: number, apiVersion: number): boolean {
  const api = BY_KEY.get(apiKey);
  return api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
}

/** Whether `apiVersion` of `apiKey` uses the flexible encodings (compact lengths, tagged fields). */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const api = BY_KEY.get(apiKey);
  return api !== undefined && versionInRange(apiVersion, api.flexibleVersions);
}

function checkVersion<T>(codec: KafkaMessageCodec<T>, version: number): void {
  const [min, max] = codec.schema.validVersions;
  if (!(Number.isInteger(version) && version >= min && version <= max)) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `${codec.schema.name} version ${version} is outside ${min}-${max}`, {
      message: codec.schema.name,
      version,
    });
  }
}

/**
 * Reads one message that must fill `reader` up to its limit. Use it with a reader positioned after
 * a header; `decodeKafkaMessage` for a standalone buffer.
 */
export function readKafkaMessage<T>(codec: KafkaMessageCodec<T>, reader: ByteReader, version: number): T {
  checkVersion(codec, version);
  const value = codec.read(reader, version);
  if (reader.remaining !== 0) {
    throw new ProtocolError(
      'CORRUPT_MESSAGE',
      `${codec.schema.name} v${version} ends at position ${reader.position} with ${reader.remaining} bytes left over`,
      { message: codec.schema.name, version, position: reader.position, remaining: reader.remaining },
    );
  }
  return value;
}

/**
 * Reads a request body as Kafka's broker does: the fields of `version`, then stops, leaving any
 * bytes after them in `reader` (the caller may count them, never fails on them). Malformed fields
 * (bad lengths, a null in a non-nullable field, a truncated body) are still CORRUPT_MESSAGE.
 */
export function readKafkaRequestBody<T>(codec: KafkaMessageCodec<T>, reader: ByteReader, version: number): T {
  checkVersion(codec, version);
  return codec.read(reader, version);
}

export function decodeKafkaMessage<T>(codec: KafkaMessageCodec<T>, buf: Buffer, version: number): T {
  return readKafkaMessage(codec, new ByteReader(buf), version);
}

export function writeKafkaMessage<T>(codec: KafkaMessageCodec<T>, writer: ByteWriter, value: T, version: number): void {
  checkVersion(codec, version);
  codec.write(writer, value, version);
}

export function encodeKafkaMessage<T>(codec: KafkaMessageCodec<T>, value: T, version: number): Buffer {
  const writer = new ByteWriter();
  writeKafkaMessage(codec, writer, value, version);
  return writer.toBuffer();
}
