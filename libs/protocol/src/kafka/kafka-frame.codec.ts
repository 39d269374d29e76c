/**
 * Kafka request and response frames: size prefix, header, body.
 *
 *   frame            int32 size (bytes that follow), then header, then body
 *   request header   v0: int16 apiKey, int16 apiVersion, int32 correlationId
 *                    v1: v0 + clientId (int16-length nullable string, even in flexible versions)
 *                    v2: v1 + tagged fields (flexible request versions)
 *   response header  v0: int32 correlationId
 *                    v1: v0 + tagged fields (flexible response versions)
 *
 * The header version follows from the api version: flexible versions use request header v2 and
 * response header v1, others v1 and v0. Two exceptions, as in Kafka's ApiKeys: ControlledShutdown
 * v0 uses request header v0, and ApiVersions responses always use response header v0 (a client
 * that does not yet know the broker's versions must be able to read the answer). The flexible
 * ranges are open-ended ("3+"), so a request for a version newer than Spool knows still gets its
 * header read right, and the server can answer it with UNSUPPORTED_VERSION.
 *
 * `decode*` take the frame after its size prefix (what a framer hands over); `encode*` return the
 * whole frame, size prefix included, ready for the socket.
 */
import { ByteReader } from '../byte-reader.js';
import { ByteWriter } from '../byte-writer.js';
import { ProtocolError } from '../protocol.error.js';
import { KafkaApiKey } from './generated/api-messages.js';
import { readRequestHeader, writeRequestHeader, type RequestHeader } from './generated/request-header.js';
import { readResponseHeader, writeResponseHeader } from './generated/response-header.js';
import { getKafkaApi, readKafkaMessage, readKafkaRequestBody, writeKafkaMessage, type KafkaApi } from './kafka-api-registry.js';
import { versionInRange } from './kafka-schema.js';

/** Request header version for `apiVersion` of `apiKey` (v1 for an API Spool does not know). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === KafkaApiKey.ControlledShutdown && apiVersion === 0) return 0;
  const api = getKafkaApi(apiKey);
  return api !== undefined && versionInRange(apiVersion, api.flexibleVersions) ? 2 : 1;
}

/** Response header version for `apiVersion` of `apiKey`. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === KafkaApiKey.ApiVersions) return 0;
  const api = getKafkaApi(apiKey);
  return api !== undefined && versionInRange(apiVersion, api.flexibleVersions) ? 1 : 0;
}

export interface KafkaRequestHeaderResult {
  readonly header: RequestHeader;
  readonly headerVersion: number;
}

/**
 * Reads a request header, choosing its version from the apiKey and apiVersion it starts with.
 * Works for unknown APIs and versions too (header v1), so that the caller can still answer.
 */
export function readKafkaRequestHeader(reader: ByteReader): KafkaRequestHeaderResult {
  reader.need(4, 'request header apiKey and apiVersion');
  const apiKey = reader.buf.readInt16BE(reader.position);
  const apiVersion = reader.buf.readInt16BE(reader.position + 2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  return { header: readRequestHeader(reader, headerVersion), headerVersion };
}

export interface KafkaRequestFrame<T = unknown> extends KafkaRequestHeaderResult {
  readonly api: KafkaApi;
  readonly body: T;
  /** Bytes after the body's last field, ignored as Kafka ignores them (kafka-api-registry.ts). */
  readonly trailingBytes: number;
}

/**
 * Decodes a request frame (after its size prefix) as Kafka's broker does: bytes after the body's
 * last field are ignored (and counted in `trailingBytes`). An unknown apiKey or version is
 * UNSUPPORTED_VERSION, carrying `correlationId`, `apiKey`, `apiVersion` and `headerVersion` in
 * its details so the server can answer it.
 */
export function decodeKafkaRequestFrame<T = unknown>(frame: Buffer): KafkaRequestFrame<T> {
  const reader = new ByteReader(frame);
  const { header, headerVersion } = readKafkaRequestHeader(reader);
  const api = getKafkaApi(header.requestApiKey);
  if (api === undefined || header.requestApiVersion < api.minVersion || header.requestApiVersion > api.maxVersion) {
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      api === undefined
        ? `unknown apiKey ${header.requestApiKey} (correlationId ${header.correlationId})`
        : `${api.name} version ${header.requestApiVersion} is outside ${api.minVersion}-${api.maxVersion} (correlationId ${header.correlationId})`,
      {
        correlationId: header.correlationId,
        apiKey: header.requestApiKey,
        apiVersion: header.requestApiVersion,
        headerVersion,
        knownApi: api !== undefined,
      },
    );
  }
  const body = readKafkaRequestBody(api.request, reader, header.requestApiVersion) as T;
  return { header, headerVersion, api, body, trailingBytes: reader.remaining };
}

function requireApi(apiKey: number): KafkaApi {
  const api = getKafkaApi(apiKey);
  if (api === undefined) throw new ProtocolError('UNSUPPORTED_VERSION', `unknown apiKey ${apiKey}`, { apiKey });
  return api;
}

function finishFrame(writer: ByteWriter): Buffer {
  writer.setInt32At(0, writer.length - 4);
  return writer.toBuffer();
}

/** A whole request frame: size, header (its version chosen from the api version), body. */
export function encodeKafkaRequestFrame(header: RequestHeader, body: unknown): Buffer {
  const api = requireApi(header.requestApiKey);
  const writer = new ByteWriter();
  writer.reserve(4);
  writeRequestHeader(writer, header, requestHeaderVersion(header.requestApiKey, header.requestApiVersion));
  writeKafkaMessage(api.request, writer, body, header.requestApiVersion);
  return finishFrame(writer);
}

/**
 * The same request frame as a list of buffers for a vectored write: large byte fields (a
 * Produce's record batches) stay the caller's buffers instead of being copied into the frame.
 * The caller must not modify those buffers until written.
 */
export function encodeKafkaRequestFrameChunks(header: RequestHeader, body: unknown): Buffer[] {
  const api = requireApi(header.requestApiKey);
  const writer = new ByteWriter();
  writer.reserve(4);
  writeRequestHeader(writer, header, requestHeaderVersion(header.requestApiKey, header.requestApiVersion));
  writeKafkaMessage(api.request, writer, body, header.requestApiVersion);
  writer.setInt32At(0, writer.length - 4);
  return writer.toChunks();
}

/** A whole response frame: size, response header, body. */
export function encodeKafkaResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer {
  const chunks = encodeKafkaResponseFrameChunks(apiKey, apiVersion, correlationId, body);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/**
 * The same frame as a list of buffers for a vectored write, without copying large byte fields
 * (a Fetch response's stored record batches stay the buffers the log read): see
 * ByteWriter.writeBytesByReference. The caller must not modify those buffers until written.
 */
export function encodeKafkaResponseFrameChunks(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const api = requireApi(apiKey);
  const writer = new ByteWriter();
  writer.reserve(4);
  writeResponseHeader(writer, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
  writeKafkaMessage(api.response, writer, body, apiVersion);
  writer.setInt32At(0, writer.length - 4);
  return writer.toChunks();
}

export interface KafkaResponseFrame<T = unknown> {
  readonly correlationId: number;
  readonly body: T;
}

/**
 * Decodes a response frame (after its size prefix) to the request `apiKey` v`apiVersion` it
 * answers; the caller knows which request that was from the correlation id.
 */
export function decodeKafkaResponseFrame<T = unknown>(apiKey: number, apiVersion: number, frame: Buffer): KafkaResponseFrame<T> {
  const api = requireApi(apiKey);
  const reader = new ByteReader(frame);
  const { correlationId } = readResponseHeader(reader, responseHeaderVersion(apiKey, apiVersion));
  const body = readKafkaMessage(api.response, reader, apiVersion) as T;
  return { correlationId, body };
}
