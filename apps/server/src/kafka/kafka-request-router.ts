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
 *   (truncated, bad lengths, null where the version allows none): the connection closes.
 *   Clients send only what ApiVersions advertised, so only broken or hostile clients see this.
 *   Bytes after a body's last field are not an error: Kafka's broker ignores them and librdkafka
 *   sends some (readKafkaRequestBody); they are logged at debug.
 *
 * Which versions are served comes from one table, kafka-api-versions.ts.
 *
 * Every answered request and every refusal above (plus Produce v0-2's
 * UNSUPPORTED_FOR_MESSAGE_FORMAT) is reported to the observers (kafka-request-observer.ts): the
 * protocol metrics and the rate-limited warn log. ApiVersions above the supported range is
 * version negotiation, not a refusal: clients try their newest first (debug only).
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
  readKafkaRequestBody,
  readKafkaRequestHeader,
  type ApiVersionsResponse,
  type KafkaApi,
  type KafkaApiName,
  type RequestHeader,
} from '@spool/protocol';
import { performance } from 'node:perf_hooks';
import { SERVED_KAFKA_API_VERSIONS, type KafkaVersionRange } from './kafka-api-versions.js';
import type { ConnectionInfo, RouteResult } from './kafka-connection.js';
import { NO_RESPONSE, type KafkaApiHandler, type KafkaRequestContext } from './kafka-handler.js';
import { KafkaObservers, countErrorCodes, type KafkaRefusalReason } from './kafka-request-observer.js';
import type { KafkaAuthorization } from './security/kafka-authorization.js';
import type { KafkaSasl } from './security/kafka-sasl.js';

/** Authentication and ACLs (security/); absent or disabled: every request is served as before. */
export interface KafkaRouterSecurity {
  readonly sasl: KafkaSasl;
  readonly authorization: KafkaAuthorization;
  isSuperUser(principal: string): boolean;
}

export interface SupportedApi {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

interface Route extends KafkaVersionRange {
  readonly handler: KafkaApiHandler;
}

export class KafkaRequestRouter {
  private readonly routes = new Map<number, Route>();
  private readonly apiVersionsRange: KafkaVersionRange;

  /**
   * `versions`: the served versions per API name (kafka-api-versions.ts). Throws when a handler
   * has no versions, an API has versions but no handler, or versions exceed what the codecs know.
   */
  constructor(
    handlers: readonly KafkaApiHandler[],
    private readonly logger: Logger,
    private readonly observers: KafkaObservers = new KafkaObservers(),
    versions: Readonly<Partial<Record<KafkaApiName, KafkaVersionRange>>> = SERVED_KAFKA_API_VERSIONS,
    private readonly security?: KafkaRouterSecurity,
  ) {
    const byKey = new Map(handlers.map((h) => [h.apiKey, h]));
    if (byKey.size !== handlers.length) throw new Error('two handlers for one apiKey');
    for (const [name, range] of Object.entries(versions) as [KafkaApiName, KafkaVersionRange][]) {
      const api = getKafkaApi(KafkaApiKey[name])!;
      if (range.minVersion > range.maxVersion || range.minVersion < api.minVersion || range.maxVersion > api.maxVersion) {
        throw new Error(`${name} versions ${range.minVersion}-${range.maxVersion} are outside what the codecs cover (${api.minVersion}-${api.maxVersion})`);
      }
      if (api.apiKey === KafkaApiKey.ApiVersions) continue;
      const handler = byKey.get(api.apiKey);
      if (handler === undefined) throw new Error(`${name} has served versions in kafka-api-versions.ts but no handler`);
      this.routes.set(api.apiKey, { handler, ...range });
      byKey.delete(api.apiKey);
    }
    for (const apiKey of byKey.keys()) {
      throw new Error(`the handler of apiKey ${apiKey} (${getKafkaApi(apiKey)?.name}) has no line in kafka-api-versions.ts`);
    }
    const apiVersions = versions.ApiVersions;
    if (apiVersions === undefined) throw new Error('ApiVersions needs a line in kafka-api-versions.ts');
    this.apiVersionsRange = apiVersions;
  }

  /** What ApiVersions advertises: exactly the served APIs and versions, sorted by apiKey. */
  supportedApis(): SupportedApi[] {
    const apis: SupportedApi[] = [{ apiKey: KafkaApiKey.ApiVersions, ...this.apiVersionsRange }];
    for (const [apiKey, { minVersion, maxVersion }] of this.routes) apis.push({ apiKey, minVersion, maxVersion });
    return apis.sort((a, b) => a.apiKey - b.apiKey);
  }

  route(frame: Buffer, connection: ConnectionInfo): Promise<RouteResult> | RouteResult {
    const startedAt = performance.now();
    const reader = new ByteReader(frame);
    let header: RequestHeader;
    try {
      header = readKafkaRequestHeader(reader).header;
    } catch (err) {
      const peeked = frame.length >= 4 ? { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2) } : { apiKey: null, apiVersion: null };
      return this.refuse({ connection, ...peeked, clientId: null }, 'undecodable', 'request header does not decode', err);
    }
    const { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId } = header;
    const who = { connection, apiKey, apiVersion, clientId: header.clientId };
    if (apiKey === KafkaApiKey.ApiVersions) return this.apiVersions(reader, header, connection, frame.length, startedAt);
    const sasl = this.security?.sasl;
    if (sasl !== undefined && !sasl.admits(connection, apiKey)) {
      return this.refuse(who, 'unauthenticated', `${getKafkaApi(apiKey)?.name ?? `apiKey ${apiKey}`} before SASL authentication completed (or after it failed)`);
    }
    const api = getKafkaApi(apiKey);
    const route = this.routes.get(apiKey);
    if (api === undefined || apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      const reason = api === undefined || route === undefined ? 'unsupported_api' : 'unsupported_version';
      return this.refuse(who, reason, api === undefined ? `unknown apiKey ${apiKey}` : `${api.name} v${apiVersion} is outside the versions Kafka defines (${api.minVersion}-${api.maxVersion})`);
    }
    let body: unknown;
    try {
      body = readKafkaRequestBody(api.request, reader, apiVersion);
    } catch (err) {
      return this.refuse(who, 'undecodable', `${api.name} v${apiVersion} request does not decode`, err);
    }
    if (reader.remaining > 0) {
      // Kafka ignores them too (see readKafkaRequestBody); librdkafka's Metadata v9+ sends 3.
      this.logger.debug({ connectionId: connection.connectionId, clientId: header.clientId, trailingBytes: reader.remaining }, `${api.name} v${apiVersion} request has bytes after its last field; ignored as Kafka does`);
    }
    const ctx: KafkaRequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      clientHost: connection.clientHost,
      connectionId: connection.connectionId,
      signal: connection.signal,
      identity: sasl?.identity(connection),
      connection,
    };
    if (route === undefined || apiVersion < route.minVersion || apiVersion > route.maxVersion) {
      return this.unsupported(api, ctx, connection, route === undefined ? 'unsupported_api' : 'unsupported_version', frame.length, startedAt);
    }
    let after: ((response: object) => object) | undefined;
    if (this.security !== undefined && sasl!.enabled) {
      const decision = this.security.authorization.authorize(apiKey, apiVersion, body, ctx.identity!);
      if ('respond' in decision) {
        // Refused whole (a group's READ, a transactional id): answered without the handler.
        const result = this.encode(api, ctx, decision.respond as object);
        this.completed(api, ctx, connection, decision.respond as object, frame.length, result, startedAt);
        return result;
      }
      if ('request' in decision) {
        body = decision.request;
        after = decision.after;
      } else if (!this.security.isSuperUser(ctx.identity!.principal)) {
        return this.unauthorized(api, ctx, connection, frame.length, startedAt);
      }
    }
    const answer = route.handler.handle(body, ctx);
    const finish = (handled: object | typeof NO_RESPONSE): RouteResult => {
      const response = after === undefined || handled === NO_RESPONSE ? handled : after(handled);
      const result = this.encode(api, ctx, response);
      this.completed(api, ctx, connection, response === NO_RESPONSE ? null : response, frame.length, result, startedAt);
      return result;
    };
    return answer instanceof Promise ? answer.then(finish) : finish(answer);
  }

  private encode(api: KafkaApi, ctx: KafkaRequestContext, response: object | typeof NO_RESPONSE): RouteResult {
    if (response === NO_RESPONSE) return null;
    // Chunks: a Fetch response's stored batches go to the socket as the log read them (writev).
    const chunks = encodeKafkaResponseFrameChunks(api.apiKey, ctx.apiVersion, ctx.correlationId, fitToVersion(api.response.schema, response, ctx.apiVersion));
    return chunks.length === 1 ? chunks[0] : chunks;
  }

  /** Reports an answered request to the observers (and Produce v0-2's refusal, answered per partition). */
  private completed(
    api: KafkaApi,
    ctx: Pick<KafkaRequestContext, 'apiVersion' | 'clientId'>,
    connection: ConnectionInfo,
    response: object | null,
    frameBytes: number,
    result: RouteResult,
    startedAt: number,
  ): void {
    if (!this.observers.enabled) return;
    const errorCounts = response === null ? new Map<number, number>() : countErrorCodes(response);
    let responseBytes = 0;
    if (Buffer.isBuffer(result)) responseBytes = result.length;
    else if (Array.isArray(result)) for (const chunk of result as readonly Buffer[]) responseBytes += chunk.length;
    this.observers.emit('requestCompleted', {
      connection,
      apiKey: api.apiKey,
      apiName: api.name,
      apiVersion: ctx.apiVersion,
      clientId: ctx.clientId,
      requestBytes: frameBytes + 4,
      responseBytes,
      durationMs: performance.now() - startedAt,
      errorCounts,
    });
    if (api.apiKey === KafkaApiKey.Produce && errorCounts.has(KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT)) {
      this.observers.emit('refused', {
        connection,
        reason: 'unsupported_message_format',
        apiKey: api.apiKey,
        apiName: api.name,
        apiVersion: ctx.apiVersion,
        clientId: ctx.clientId,
        detail: `Produce v${ctx.apiVersion} carries message format v0/v1, which Spool does not store: answered UNSUPPORTED_FOR_MESSAGE_FORMAT (use Produce v3+)`,
        closesConnection: false,
      });
    }
  }

  /**
   * ApiVersions: any version's header is readable (header v1 up to v2, and a v3+ header's clientId
   * stays a non-compact string). Above what Spool implements, Kafka answers v0 with
   * UNSUPPORTED_VERSION and its list; the client retries with the highest version in it.
   */
  private apiVersions(reader: ByteReader, header: RequestHeader, connection: ConnectionInfo, frameBytes: number, startedAt: number): RouteResult {
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
    const answer = (body: ApiVersionsResponse, answeredVersion: number): RouteResult => {
      const result = encodeKafkaResponseFrame(api.apiKey, answeredVersion, header.correlationId, fitToVersion(api.response.schema, body, answeredVersion));
      this.completed(api, { apiVersion: version, clientId: header.clientId }, connection, body, frameBytes, result, startedAt);
      return result;
    };
    if (version < this.apiVersionsRange.minVersion || version > this.apiVersionsRange.maxVersion) {
      this.logger.debug({ connectionId: connection.connectionId, clientId: header.clientId, apiVersion: version }, 'ApiVersions above the supported range: answering v0 with the list');
      return answer({ ...response, errorCode: KafkaErrorCode.UNSUPPORTED_VERSION }, 0);
    }
    try {
      const body = readKafkaRequestBody(api.request, reader, version) as { clientSoftwareName?: string; clientSoftwareVersion?: string };
      if (version >= 3) connection.identifyClientSoftware({ name: body.clientSoftwareName ?? null, version: body.clientSoftwareVersion ?? null });
    } catch (err) {
      // Kafka answers INVALID_REQUEST to an ApiVersions body it cannot read (e.g. a bad software name).
      if (!isSpoolError(err)) throw err;
      this.report({ connection, apiKey: api.apiKey, apiVersion: version, clientId: header.clientId }, 'undecodable', `ApiVersions v${version} request does not decode: answered INVALID_REQUEST`, err, false);
      return answer({ ...response, errorCode: KafkaErrorCode.INVALID_REQUEST }, version);
    }
    return answer(response, version);
  }

  /** A parsed request of an API or version Spool does not implement. */
  private unsupported(api: KafkaApi, ctx: KafkaRequestContext, connection: ConnectionInfo, reason: KafkaRefusalReason, frameBytes: number, startedAt: number): RouteResult {
    const version = ctx.apiVersion;
    const who = { connection, apiKey: api.apiKey, apiVersion: version, clientId: ctx.clientId };
    const served = this.routes.get(api.apiKey);
    const what = served === undefined ? `${api.name} is not served` : `${api.name} v${version} is not served (versions ${served.minVersion}-${served.maxVersion} are)`;
    const hasErrorCode = api.response.schema.fields.some((f) => f.name === 'errorCode' && f.versions !== null && version >= f.versions[0] && version <= f.versions[1]);
    if (!hasErrorCode) return this.refuse(who, reason, `${what}; its response has no top-level error code`);
    this.report(who, reason, `${what}: answered UNSUPPORTED_VERSION`, undefined, false);
    const body = { ...(api.response.defaults() as object), errorCode: KafkaErrorCode.UNSUPPORTED_VERSION };
    const result = encodeKafkaResponseFrame(api.apiKey, version, ctx.correlationId, fitToVersion(api.response.schema, body, version));
    this.completed(api, ctx, connection, body, frameBytes, result, startedAt);
    return result;
  }

  /**
   * An API without a per-resource ACL rule (security/kafka-authorization.ts) from a principal that
   * is not a super user: CLUSTER_AUTHORIZATION_FAILED where the response has a top-level error
   * code, else the connection closes.
   */
  private unauthorized(api: KafkaApi, ctx: KafkaRequestContext, connection: ConnectionInfo, frameBytes: number, startedAt: number): RouteResult {
    const version = ctx.apiVersion;
    const who = { connection, apiKey: api.apiKey, apiVersion: version, clientId: ctx.clientId };
    const what = `${api.name} is served to super users only while authentication is on (${ctx.identity?.principal} is not one)`;
    const hasErrorCode = api.response.schema.fields.some((f) => f.name === 'errorCode' && f.versions !== null && version >= f.versions[0] && version <= f.versions[1]);
    if (!hasErrorCode) return this.refuse(who, 'unauthorized', `${what}; its response has no top-level error code`);
    this.report(who, 'unauthorized', `${what}: answered CLUSTER_AUTHORIZATION_FAILED`, undefined, false);
    const body = { ...(api.response.defaults() as object), errorCode: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const result = encodeKafkaResponseFrame(api.apiKey, version, ctx.correlationId, fitToVersion(api.response.schema, body, version));
    this.completed(api, ctx, connection, body, frameBytes, result, startedAt);
    return result;
  }

  /** Refuses the request by closing the connection. */
  private refuse(who: RefusedRequest, reason: KafkaRefusalReason, detail: string, err?: unknown): RouteResult {
    this.report(who, reason, detail, err, true);
    return 'close';
  }

  private report(who: RefusedRequest, reason: KafkaRefusalReason, detail: string, err: unknown, closesConnection: boolean): void {
    const full = err instanceof Error ? `${detail}: ${err.message}` : detail;
    this.logger.debug({ err, connectionId: who.connection.connectionId, clientHost: who.connection.clientHost }, `${closesConnection ? 'closing kafka connection' : 'refused'}: ${full}`);
    this.observers.emit('refused', {
      connection: who.connection,
      reason,
      apiKey: who.apiKey,
      apiName: who.apiKey === null ? null : (getKafkaApi(who.apiKey)?.name ?? null),
      apiVersion: who.apiVersion,
      clientId: who.clientId,
      detail: full,
      closesConnection,
    });
  }
}

interface RefusedRequest {
  readonly connection: ConnectionInfo;
  readonly apiKey: number | null;
  readonly apiVersion: number | null;
  readonly clientId: string | null;
}
