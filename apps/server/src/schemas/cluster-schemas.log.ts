/**
 * `_schemas` in cluster mode (docs/schemas.md, "Cluster mode"): one cluster topic, one partition,
 * replication factor min(3, live brokers), compacted, created in etcd by the first write. The
 * registry's writer is the leader of `_schemas`-0 (docs/decisions.md says why), so where this node
 * reads the log depends on that leadership, decided anew on every call:
 *
 *   this node leads     the local log, to its end (SchemasTopicLog): as the leader its log is the
 *                       truth, and the writer must have applied every record in it, committed or
 *                       not yet, before it hands out an id (a record of the previous leader's that
 *                       reached this replica keeps its id);
 *   another node leads  the leader's log over Kafka's protocol (ClusterPartitionReaders' Fetch and
 *                       ListOffsets), up to its high watermark: only committed records, which
 *                       every future leader holds too;
 *   no leader           LEADER_NOT_AVAILABLE (retriable), so a catch-up fails rather than
 *                       pretending the log ended;
 *   no topic yet        an empty log.
 *
 * Connections: the log talks to the leader on connections of its own, one set for reads and one
 * for the follower's long polls (a broker answers a connection's requests in order, so a Fetch
 * waiting 30 s for new records would hold up every read queued behind it on the same connection,
 * and the faces' own long polls would too).
 *
 * Only the leader appends (SchemasTopicLog with the hooks given here: the topic created through
 * ClusterService, the batch appended as the replicated leader with acks=all). Anywhere else append
 * is NOT_LEADER_OR_FOLLOWER, which the writer (cluster-registry-writer.ts) takes as "forward".
 */
import { ListOffsetsTimestamp } from '@spool/broker-client';
import { SpoolError } from '@spool/common';
import { SCHEMAS_TOPIC, type EncodedRecord, type SchemaLog, type SchemaLogRecord } from '@spool/schema-registry';
import type { LogManager } from '@spool/log-engine';
import { ClusterPartitionReaders } from '../cluster/cluster-partition-readers.js';
import type { ClusterService } from '../cluster/cluster.service.js';
import { PartitionRouter, type PartitionRoute } from '../cluster/partition-router.js';
import { schemaLogRecords, type SchemasTopicLog } from './schemas-topic.log.js';

export class ClusterSchemasLog implements SchemaLog {
  private readonly readRouter: PartitionRouter;
  private readonly waitRouter: PartitionRouter;
  /** Fetch and ListOffsets to the leader. */
  private readonly readers: ClusterPartitionReaders;
  /** The follower's long polls, on connections of their own (see the top of the file). */
  private readonly waiters: ClusterPartitionReaders;

  constructor(
    /** The local copy, with cluster hooks (created in etcd, appended with acks=all). */
    private readonly local: SchemasTopicLog,
    private readonly cluster: ClusterService,
    logs: LogManager,
  ) {
    const timeoutMs = cluster.settings.peerRequestTimeoutMs;
    this.readRouter = new PartitionRouter(cluster.metadata, cluster.leadership, timeoutMs, cluster.settings.interBrokerSasl ?? null, cluster.settings.interBrokerTls ?? null);
    this.waitRouter = new PartitionRouter(cluster.metadata, cluster.leadership, timeoutMs, cluster.settings.interBrokerSasl ?? null, cluster.settings.interBrokerTls ?? null);
    this.readers = new ClusterPartitionReaders(logs, cluster.metadata, this.readRouter);
    this.waiters = new ClusterPartitionReaders(logs, cluster.metadata, this.waitRouter);
  }

  /** Closes this log's connections to the other brokers. */
  async close(): Promise<void> {
    await Promise.all([this.readRouter.close(), this.waitRouter.close()]);
  }

  /** Whether this node leads `_schemas`-0 now (and so is the registry's writer). */
  isWriter(): boolean {
    return this.route()?.kind === 'local';
  }

  /** The writer's broker id, or null while the topic does not exist or has no leader. */
  writerId(): number | null {
    const route = this.route();
    if (route === null || route.kind === 'refused') return null;
    return route.kind === 'local' ? this.cluster.brokerId : route.leader;
  }

  /** Nothing to do: the topic is created by the first write, its configs are set then (in etcd). */
  open(): Promise<void> {
    return Promise.resolve();
  }

  async endOffset(): Promise<number> {
    const route = this.route();
    if (route === null) return 0;
    switch (route.kind) {
      case 'local':
        return this.local.endOffset();
      case 'remote':
        return (await this.readers.remoteOffset(route.leader, SCHEMAS_TOPIC, 0, ListOffsetsTimestamp.LATEST))?.offset ?? 0;
      case 'refused':
        throw route.error;
    }
  }

  async read(fromOffset: number, maxBytes: number): Promise<{ records: readonly SchemaLogRecord[]; nextOffset: number }> {
    const route = this.route();
    if (route === null) return { records: [], nextOffset: fromOffset };
    switch (route.kind) {
      case 'local':
        return this.local.read(fromOffset, maxBytes);
      case 'remote': {
        const read = await this.readers.remoteRead(route.leader, SCHEMAS_TOPIC, 0, fromOffset, maxBytes);
        return { records: schemaLogRecords(read.batches, fromOffset, read.nextOffset), nextOffset: Math.max(fromOffset, read.nextOffset) };
      }
      case 'refused':
        throw route.error;
    }
  }

  /**
   * Appends as the leader (creating the topic first when the cluster has none). Refused with
   * NOT_LEADER_OR_FOLLOWER (naming the leader) or LEADER_NOT_AVAILABLE elsewhere: the caller forwards.
   */
  append(records: readonly EncodedRecord[]): Promise<number> {
    const route = this.route();
    if (route !== null && route.kind !== 'local') {
      return Promise.reject(route.kind === 'refused' ? route.error : new SpoolError('NOT_LEADER_OR_FOLLOWER', `broker ${route.leader} leads ${SCHEMAS_TOPIC}, not this broker`, { leader: route.leader }));
    }
    return this.local.append(records);
  }

  /** Waits (at most `timeoutMs`) until the log may have grown past `offset`: a long poll on the leader, or the local high watermark. */
  async waitForGrowth(offset: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const route = this.route();
    if (route?.kind === 'remote') return this.waiters.remoteWait(route.leader, SCHEMAS_TOPIC, 0, offset, timeoutMs, signal);
    if (route?.kind === 'local') return this.waiters.reader(SCHEMAS_TOPIC, 0).waitForAppend(offset, timeoutMs, signal);
    // No topic or no leader: look again a little later (a local check, cheap).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(timeoutMs, 500));
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** null while the cluster has no `_schemas`. */
  private route(): PartitionRoute | null {
    if (this.cluster.metadata.topic(SCHEMAS_TOPIC) === undefined) return null;
    return this.cluster.router.route(SCHEMAS_TOPIC, 0);
  }
}
