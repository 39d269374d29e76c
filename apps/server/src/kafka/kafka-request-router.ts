/**
 * Turns a request frame into a response frame: reads the header, answers ApiVersions itself,
 * checks that a handler implements the API and version, decodes the body, runs the handler,
 * fits its answer to the version and encodes it.
 *
 * What is answered and what closes the connection (as Kafka does):
 * - ApiVersions at a version Spool does not implement: a v0 response with UNSUPPORTED_VERSION and
 *   the supported list, so that the client can pick a version (KIP-511);
 * - another API (or version) that Spool parses but does not implement: a response whose
 *   top-level errorCode is UNSUPPORTED_VERSION when the response has one; otherwise the
 *   connection closes (there is no way to say "unsupported" in, say, a Produce v2 response);
 * - an unknown apiKey, a version newer than the codecs know, or a body that does not decode
 *   (truncated, trailing bytes, bad lengths): the connection closes. Clients send only what
 *   ApiVersions advertised, so only broken or hostile clients see this.
 */
import { isSpoolError, type Logger } from '@spool/common';
import {
  ByteReader,
  KafkaApiKey,
  KafkaErrorCode,
  encodeKafkaResponseFrame,
  encodeKafkaResponseFrameChunks,
  fitToVersion,
  getKafkaApi,
  readKafkaMessage,
  readKafkaRequestHeader,
  type ApiVersionsResponse,
  type KafkaApi,
  type RequestHeader,
} from '@spool/protocol';
import type { ConnectionInfo, RouteResult } from './kafka-connection.js';
import { NO_RESPONSE, type KafkaApiHandler, type KafkaRequestContext } from './kafka-handler.js';

/** Versions of ApiVersions Spool answers (v3+ is flexible and carries client software name/version). */
const API_VERSIONS_MIN = 0;
const API_VERSIONS_MAX = 3;

export interface SupportedApi {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export class KafkaRequestRouter {
  private readonly handlers = new Map<number, KafkaApiHandler>();

  constructor(
    handlers: readonly KafkaApiHandler[],
    private readonly logger: Logger,
  ) {
    for (const handler of handlers) {
      const api = getKafkaApi(handler.apiKey);
      if (api === undefined || handler.minVersion < api.minVersion || handler.maxVersion > api.maxVersion) {
        throw new Error(`handler for apiKey ${handler.apiKey} claims versions ${handler.minVersion}-${handler.maxVersion} the codecs do not cover`);
      }
      if (this.handlers.has(handler.apiKey)) throw new Error(`two handlers for apiKey ${handler.apiKey}`);
      this.handlers.set(handler.apiKey, handler);
    }
  }

  /** What ApiVersions advertises: exactly the handled APIs and versions, sorted by apiKey. */
  supportedApis(): SupportedApi[] {
    const apis: SupportedApi[] = [{ apiKey: KafkaApiKey.ApiVersions, minVersion: API_VERSIONS_MIN, maxVersion: API_VERSIONS_MAX }];
    for (const handler of this.handlers.values()) apis.push({ apiKey: handler.apiKey, minVersion: handler.minVersion, maxVersion: handler.maxVersion });
    return apis.sort((a, b) => a.apiKey - b.apiKey);
  }

  route(frame: Buffer, connection: ConnectionInfo): Promise<RouteResult> | RouteResult {
    const reader = new ByteReader(frame);
    let header: RequestHeader;
    try {
      header = readKafkaRequestHeader(reader).header;
    } catch (err) {
      return this.refuse(connection, 'request header does not decode', err);
    }
    const { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId } = header;
    if (apiKey === KafkaApiKey.ApiVersions) return this.apiVersions(reader, header, connection);
    const api = getKafkaApi(apiKey);
    const handler = this.handlers.get(apiKey);
    if (api === undefined || apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      return this.refuse(connection, `unknown apiKey ${apiKey} or version ${apiVersion}`);
    }
    let body: unknown;
    try {
      body = readKafkaMessage(api.request, reader, apiVersion);
    } catch (err) {
      return this.refuse(connection, `${api.name} v${apiVersion} request does not decode`, err);
    }
    if (handler === undefined || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      return this.unsupported(api, apiVersion, correlationId, connection);
    }
    const ctx: KafkaRequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      clientHost: connection.clientHost,
      connectionId: connection.connectionId,
      signal: connection.signal,
    };
    const answer = handler.handle(body, ctx);
    return answer instanceof Promise ? answer.then((res) => this.encode(api, ctx, res)) : this.encode(api, ctx, answer);
  }

  private encode(api: KafkaApi, ctx: KafkaRequestContext, response: object | typeof NO_RESPONSE): RouteResult {
    if (response === NO_RESPONSE) return null;
    // Chunks: a Fetch response's stored batches go to the socket as the log read them (writev).
    const chunks = encodeKafkaResponseFrameChunks(api.apiKey, ctx.apiVersion, ctx.correlationId, fitToVersion(api.response.schema, response, ctx.apiVersion));
    return chunks.length === 1 ? chunks[0] : chunks;
  }

  /**
   * ApiVersions: any version's header is readable (header v1 up to v2, and a v3+ header's clientId
   * stays a non-compact string). Above what Spool implements, Kafka answers v0 with
   * UNSUPPORTED_VERSION and its list; the client retries with the highest version in it.
   */
  private apiVersions(reader: ByteReader, header: RequestHeader, connection: ConnectionInfo): RouteResult {
    const version = header.requestApiVersion;
    const response: ApiVersionsResponse = {
      errorCode: KafkaErrorCode.NONE,
      apiKeys: this.supportedApis(),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
    const api = getKafkaApi(KafkaApiKey.ApiVersions)!;
    if (version < API_VERSIONS_MIN || version > API_VERSIONS_MAX) {
      return encodeKafkaResponseFrame(api.apiKey, 0, header.correlationId, fitToVersion(api.response.schema, { ...response, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION }, 0));
    }
    try {
      readKafkaMessage(api.request, reader, version);
    } catch (err) {
      // Kafka answers INVALID_REQUEST to an ApiVersions body it cannot read (e.g. a bad software name).
      if (!isSpoolError(err)) throw err;
      this.logger.debug({ err, connectionId: connection.connectionId }, 'ApiVersions request body does not decode');
      return encodeKafkaResponseFrame(api.apiKey, version, header.correlationId, fitToVersion(api.response.schema, { ...response, errorCode: KafkaErrorCode.INVALID_REQUEST }, version));
    }
    return encodeKafkaResponseFrame(api.apiKey, version, header.correlationId, fitToVersion(api.response.schema, response, version));
  }

  /** A parsed request of an API or version Spool does not implement. */
  private unsupported(api: KafkaApi, version: number, correlationId: number, connection: ConnectionInfo): RouteResult {
    const hasErrorCode = api.response.schema.fields.some((f) => f.name === 'errorCode' && f.versions !== null && version >= f.versions[0] && version <= f.versions[1]);
    if (!hasErrorCode) return this.refuse(connection, `${api.name} v${version} is not implemented and its response has no top-level error code`);
    const body = { ...(api.response.defaults() as object), errorCode: KafkaErrorCode.UNSUPPORTED_VERSION };
    return encodeKafkaResponseFrame(api.apiKey, version, correlationId, fitToVersion(api.response.schema, body, version));
  }

  private refuse(connection: ConnectionInfo, why: string, err?: unknown): RouteResult {
    this.logger.debug({ err, connectionId: connection.connectionId, clientHost: connection.clientHost }, `closing kafka connection: ${why}`);
    return 'close';
  }
}
