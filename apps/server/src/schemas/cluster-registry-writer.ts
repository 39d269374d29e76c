/**
 * The registry's writer in cluster mode (docs/schemas.md, "Cluster mode"; the choice of writer in
 * docs/decisions.md). There is one writer in the cluster: the broker that leads `_schemas`-0.
 * Every write command (register, deletes, config, mode) on any node comes here and goes:
 *
 *   this node leads    to the LocalRegistryWriter over the cluster log: it reads the local log to
 *                      its end, checks the command, appends the records as the replicated leader
 *                      with acks=all and applies them; ids are the highest id in the log + 1;
 *   another node leads forwarded as the same REST request to that broker's HTTP port (with the
 *                      client's Authorization header, so the writer authenticates the client
 *                      again, and FORWARDED_BY_HEADER); its answer, success or Confluent error,
 *                      becomes this call's. Before returning, this node catches up with the
 *                      leader's committed log, which holds the write (acks=all), so a read here
 *                      right after the write sees it (read-your-writes on every node);
 *   no topic yet       the topic is created in etcd (replication factor min(3, live brokers)),
 *                      then as above once it has a leader;
 *   no leader          retried.
 *
 * Retries: while the writer is unknown, moving or unreachable (no leader, NOT_LEADER_OR_FOLLOWER
 * from the local append, a forward that fails to connect or times out, the peer's 50003/50004),
 * the command is tried again every 200 ms, for at most WRITE_DEADLINE_MS; then 50004 (retriable).
 * A request that was itself forwarded is never forwarded again: if this node no longer leads, it
 * answers 50004 and the forwarding node retries (no loops while leadership moves).
 *
 * Ids across failover: an acknowledged write is committed on every in-sync replica; the new
 * leader is one of them (clean election) and its writer applies its whole log before its first
 * command, so the next id is above every id ever acknowledged. A retried register is idempotent
 * (the same schema keeps its id); a retried delete whose first attempt did land answers as a
 * second delete would (40406 / 40404).
 */
import { isSpoolError, SpoolError, type Logger } from '@spool/common';
import {
  LocalRegistryWriter,
  SCHEMAS_TOPIC,
  SchemaRegistryError,
  schemaRegistryErrorFromAnswer,
  type CompatibilityLevel,
  type Mode,
  type RegisterOptions,
  type RegistryWriter,
  type SchemaInput,
  type SchemaRegistry,
} from '@spool/schema-registry';
import type { ClusterService } from '../cluster/cluster.service.js';
import type { PeerHttpClient, PeerHttpResponse } from '../cluster/peer-http.js';
import type { ClusterSchemasLog } from './cluster-schemas.log.js';
import { SCHEMA_REGISTRY_MEDIA_TYPE } from './schema-registry.errors.js';
import { currentWriteOrigin, FORWARDED_BY_HEADER } from './schema-write-origin.js';
import { SCHEMAS_TOPIC_CONFIGS } from './schemas-topic.log.js';

/** How long a write waits for a writer (elections take a session timeout, 2 s by default). */
export const WRITE_DEADLINE_MS = 30_000;
const RETRY_PAUSE_MS = 200;
const MAX_REPLICATION_FACTOR = 3;

interface Forward {
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

export class ClusterRegistryWriter implements RegistryWriter {
  private readonly local: LocalRegistryWriter;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly log: ClusterSchemasLog,
    private readonly cluster: ClusterService,
    private readonly options: { readonly peers: PeerHttpClient; readonly logger: Logger },
  ) {
    this.local = new LocalRegistryWriter(registry, log);
  }

  async register(subject: string, input: SchemaInput, options: RegisterOptions): Promise<{ id: number; version: number }> {
    const body = { schema: input.schema, schemaType: input.schemaType, references: input.references, ...(options.id !== undefined && { id: options.id }), ...(options.version !== undefined && { version: options.version }) };
    return this.write(
      () => this.local.register(subject, input, options),
      { method: 'POST', path: `/subjects/${enc(subject)}/versions${options.normalize ? '?normalize=true' : ''}`, body },
      (answer) => {
        const id = (answer as { id: number }).id;
        const version = this.registry.state.versions(subject, true).filter((v) => v.id === id).pop()?.version ?? options.version ?? -1;
        return { id, version };
      },
    );
  }

  deleteVersion(subject: string, version: number, permanent: boolean): Promise<number> {
    return this.write(() => this.local.deleteVersion(subject, version, permanent), { method: 'DELETE', path: `/subjects/${enc(subject)}/versions/${version}${permanent ? '?permanent=true' : ''}` }, (answer) => answer as number);
  }

  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.write(() => this.local.deleteSubject(subject, permanent), { method: 'DELETE', path: `/subjects/${enc(subject)}${permanent ? '?permanent=true' : ''}` }, (answer) => answer as number[]);
  }

  setConfig(subject: string | null, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    return this.write(() => this.local.setConfig(subject, level), { method: 'PUT', path: scoped('/config', subject), body: { compatibility: level } }, (answer) => (answer as { compatibility: CompatibilityLevel }).compatibility);
  }

  deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.write(() => this.local.deleteConfig(subject), { method: 'DELETE', path: scoped('/config', subject) }, (answer) => (answer as { compatibilityLevel: CompatibilityLevel }).compatibilityLevel);
  }

  setMode(subject: string | null, mode: Mode, force: boolean): Promise<Mode> {
    return this.write(() => this.local.setMode(subject, mode, force), { method: 'PUT', path: scoped('/mode', subject) + (force ? '?force=true' : ''), body: { mode } }, (answer) => (answer as { mode: Mode }).mode);
  }

  deleteMode(subject: string | null): Promise<Mode> {
    return this.write(() => this.local.deleteMode(subject), { method: 'DELETE', path: scoped('/mode', subject) }, (answer) => (answer as { mode: Mode }).mode);
  }

  /** Runs the command where the writer is (see the top of the file). */
  private async write<T>(locally: () => Promise<T>, forward: Forward, fromAnswer: (answer: unknown) => T): Promise<T> {
    const origin = currentWriteOrigin();
    const deadline = Date.now() + WRITE_DEADLINE_MS;
    let lastError: unknown = null;
    for (;;) {
      const writer = this.log.writerId();
      try {
        if (writer === this.cluster.brokerId) return await locally();
        if (origin.forwardedBy !== undefined) {
          throw new SchemaRegistryError('UNKNOWN_LEADER', `broker ${this.cluster.brokerId} is not the schema registry's writer (the leader of ${SCHEMAS_TOPIC}); the forwarding broker retries`);
        }
        if (writer === null) await this.ensureTopic();
        else {
          const answer = await this.forward(writer, forward, origin.authorization, deadline);
          // Read-your-writes here: the leader's committed log holds the write now.
          await this.registry.settle().catch((err: unknown) => this.options.logger.warn({ err }, 'could not catch up with _schemas after a forwarded write'));
          return fromAnswer(answer);
        }
      } catch (err) {
        if (!isRetriable(err)) throw err;
        // A forwarded request is retried by the node that forwarded it: say why, with Confluent's "unknown leader".
        if (origin.forwardedBy !== undefined) throw err instanceof SchemaRegistryError ? err : new SchemaRegistryError('UNKNOWN_LEADER', `this broker cannot write _schemas right now: ${(err as Error).message}`);
        lastError = err;
      }
      if (Date.now() + RETRY_PAUSE_MS > deadline) {
        throw new SchemaRegistryError('UNKNOWN_LEADER', `no schema registry writer answered within ${WRITE_DEADLINE_MS} ms${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }

  /** Creates `_schemas` in etcd when the cluster has none (another broker creating it at the same time is fine). */
  private async ensureTopic(): Promise<void> {
    if (this.cluster.metadata.topic(SCHEMAS_TOPIC) !== undefined) {
      throw new SchemaRegistryError('UNKNOWN_LEADER', `${SCHEMAS_TOPIC} has no leader right now`);
    }
    const replicationFactor = Math.max(1, Math.min(MAX_REPLICATION_FACTOR, this.cluster.metadata.brokers().length));
    try {
      await this.cluster.createTopic({ name: SCHEMAS_TOPIC, partitions: 1, replicationFactor, configs: SCHEMAS_TOPIC_CONFIGS });
      this.options.logger.info({ replicationFactor }, 'created _schemas');
    } catch (err) {
      if (!(isSpoolError(err) && err.code === 'TOPIC_ALREADY_EXISTS')) throw err;
    }
    throw new SchemaRegistryError('UNKNOWN_LEADER', `${SCHEMAS_TOPIC} was just created; waiting for its leader`);
  }

  /** The REST request on the writer's node; its 2xx answer, or its Confluent error thrown. */
  private async forward(writer: number, forward: Forward, authorization: string | undefined, deadline: number): Promise<unknown> {
    const broker = this.cluster.metadata.broker(writer);
    if (broker === undefined) throw new SchemaRegistryError('UNKNOWN_LEADER', `the writer, broker ${writer}, is not registered right now`);
    const url = `${this.options.peers.scheme}://${hostForUrl(broker.host)}:${broker.httpPort}/schemas${forward.path}`;
    const headers: Record<string, string> = { accept: SCHEMA_REGISTRY_MEDIA_TYPE, [FORWARDED_BY_HEADER]: String(this.cluster.brokerId) };
    if (authorization !== undefined) headers.authorization = authorization;
    if (forward.body !== undefined) headers['content-type'] = SCHEMA_REGISTRY_MEDIA_TYPE;
    let res: PeerHttpResponse;
    try {
      const timeoutMs = Math.max(1, Math.min(this.cluster.settings.peerRequestTimeoutMs, deadline - Date.now()));
      res = await this.options.peers.request(url, { method: forward.method, headers, body: forward.body === undefined ? undefined : JSON.stringify(forward.body), timeoutMs });
    } catch (err) {
      throw new SchemaRegistryError('FORWARDING_ERROR', `forwarding the write to broker ${writer} (${url}) failed: ${(err as Error).message}`);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(res.text);
    } catch {
      throw new SchemaRegistryError('FORWARDING_ERROR', `broker ${writer} answered the forwarded write with HTTP ${res.status} and a body that is not JSON`);
    }
    if (res.ok) return answer;
    const error = answer as { error_code?: unknown; message?: unknown };
    if (typeof error.error_code !== 'number') throw new SchemaRegistryError('FORWARDING_ERROR', `broker ${writer} answered the forwarded write with HTTP ${res.status}`);
    throw schemaRegistryErrorFromAnswer(error.error_code, typeof error.message === 'string' ? error.message : `HTTP ${res.status}`);
  }
}

function isRetriable(err: unknown): boolean {
  if (err instanceof SchemaRegistryError) return err.retriable;
  return err instanceof SpoolError && err.retriable;
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function scoped(base: string, subject: string | null): string {
  return subject === null ? base : `${base}/${enc(subject)}`;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
