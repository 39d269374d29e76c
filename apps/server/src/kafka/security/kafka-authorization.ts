/**
 * ACL checks on the Kafka face, per API, as Kafka's KafkaApis makes them (docs/security.md has the
 * table): a request is split into the resources the principal may touch, which go to the handler,
 * and those it may not, which are answered with Kafka's error code in the same response
 * (TOPIC_AUTHORIZATION_FAILED per topic, GROUP_AUTHORIZATION_FAILED per group,
 * CLUSTER_AUTHORIZATION_FAILED / TRANSACTIONAL_ID_AUTHORIZATION_FAILED at the top). Listings
 * (Metadata without topics, ListGroups, OffsetFetch of all topics) leave out what the principal
 * may not DESCRIBE. Produce and Fetch also record the principal's quotas and answer with Kafka's
 * throttle_time_ms (the client waits that long before its next request, KIP-219).
 *
 * Replica requests (Fetch and OffsetForLeaderEpoch with a replica id >= 0) are served only to
 * another broker (SpoolSecurity.isInterBroker: the inter-broker SASL login), whatever ACLs or
 * super-user status the principal has: anyone else gets CLUSTER_AUTHORIZATION_FAILED, so a client
 * cannot pose as a follower (and move the ISR or the high watermark). Brokers' own produce and
 * fetch are not metered against quotas (the forwarding node metered its client).
 *
 * Not ruled yet (served to super users only): OffsetDelete, ConsumerGroupHeartbeat,
 * ConsumerGroupDescribe. An API without a rule here is served only to super users; others get CLUSTER_AUTHORIZATION_FAILED
 * where the response has a top-level error code, and the connection is closed where it has none.
 * With security off, nothing here runs.
 */
import { countRecords, KafkaApiKey, KafkaErrorCode } from '@spool/protocol';
import type { LogManager } from '@spool/log-engine';
import { CLUSTER_RESOURCE, groupResource, prefixTenantOf, topicResource, transactionalIdResource, type Identity, type Operation, type Resource } from '@spool/security';
import { checkTenantLimits, checkTenantRetainedBytesFor, type TopicCounts } from '../../security/tenant-limits.js';
import type { AccessControl } from '../../security/access-control.js';

type Obj = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What to do with one request. */
export type Authorized =
  /** Serve (possibly fewer resources than asked), then let `after` add the refused ones to the answer. */
  | { readonly request: Obj; readonly after?: (response: Obj) => Obj }
  /** Answer this without running the handler. */
  | { readonly respond: Obj }
  /** No rule for this API: super users only. */
  | { readonly unruled: true };

const TOPIC_DENIED = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;
const GROUP_DENIED = KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
const CLUSTER_DENIED = KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const TXN_DENIED = KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

function split<T>(items: readonly T[], allowed: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (allowed(item) ? yes : no).push(item);
  return [yes, no];
}

export class KafkaAuthorization {
  constructor(
    private readonly access: AccessControl,
    private readonly logManager: LogManager,
    /** num.partitions, for CreateTopics with -1 partitions (tenant limits count them). */
    private readonly numPartitions = 1,
    /** The topics tenant limits count: the cluster metadata's in cluster mode (this broker's logs hold only its replicas). */
    private readonly listTopics: TopicCounts = () => logManager.listTopics(),
  ) {}

  /** Whether `topic`'s tenant is under its maxRetainedBytes on this broker (tenant-limits.ts). */
  private mayRetainMore(topic: string): boolean {
    try {
      checkTenantRetainedBytesFor(this.access, this.logManager, topic);
      return true;
    } catch {
      return false;
    }
  }

  private allowed(identity: Identity, operation: Operation, resource: Resource): boolean {
    return this.access.authorize(identity, operation, resource);
  }

  private topicNameOf(name: string | null | undefined, topicId: string | undefined): string | null {
    if (name !== null && name !== undefined && name !== '') return name;
    if (topicId === undefined) return null;
    try {
      return this.logManager.topicNameById(topicId) ?? null;
    } catch {
      return null;
    }
  }

  private exists(topic: string): boolean {
    try {
      this.logManager.describeTopic(topic);
      return true;
    } catch {
      return false;
    }
  }

  private throttle(response: Obj, throttleMs: number): Obj {
    return throttleMs > 0 ? { ...response, throttleTimeMs: Math.max(response.throttleTimeMs ?? 0, throttleMs) } : response;
  }

  authorize(apiKey: number, apiVersion: number, request: Obj, identity: Identity): Authorized {
    const topic = (operation: Operation, name: string): boolean => this.allowed(identity, operation, topicResource(name));
    const group = (operation: Operation, name: string): boolean => this.allowed(identity, operation, groupResource(name));
    const quotas = this.access.security!.quotas;
    const interBroker = this.access.security!.isInterBroker(identity);

    switch (apiKey) {
      case KafkaApiKey.Produce: {
        if (request.transactionalId !== null && request.transactionalId !== undefined && !this.allowed(identity, 'WRITE', transactionalIdResource(request.transactionalId))) {
          return { respond: { responses: request.topicData.map((t: Obj) => ({ name: t.name, partitionResponses: t.partitionData.map((p: Obj) => ({ index: p.index, errorCode: TXN_DENIED })) })) } };
        }
        const [allowed, denied] = split(request.topicData as Obj[], (t) => topic('WRITE', t.name));
        // A tenant at its retained-bytes limit on this broker (checked for forwarded produces too: the bytes land here).
        const [ok, full] = split(allowed, (t) => this.mayRetainMore(t.name));
        let bytes = 0;
        let records = 0;
        for (const t of ok) {
          for (const p of t.partitionData) {
            bytes += p.records?.length ?? 0;
            records += countRecords(p.records);
          }
        }
        // Brokers forwarding their clients' records are not their clients: the forwarding node recorded the quota.
        const throttleMs = interBroker ? 0 : quotas.recordProduce(identity, bytes, records);
        const refused = (topics: Obj[], errorCode: number): Obj[] => topics.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p: Obj) => ({ index: p.index, errorCode })) }));
        return {
          request: { ...request, topicData: ok },
          after: (response) =>
            typeof response !== 'object' || response === null
              ? response
              : this.throttle({ ...response, responses: [...response.responses, ...refused(denied, TOPIC_DENIED), ...refused(full, KafkaErrorCode.POLICY_VIOLATION)] }, throttleMs),
        };
      }
      case KafkaApiKey.Fetch: {
        // A replica's fetch moves the ISR and the high watermark: only another broker may send one.
        const replicaId = apiVersion >= 15 ? (request.replicaState?.replicaId ?? -1) : request.replicaId;
        if (replicaId >= 0 && !interBroker) return { respond: this.replicaFetchRefused(request) };
        const [ok, denied] = split(request.topics as Obj[], (t) => {
          const name = this.topicNameOf(t.topic, t.topicId);
          // An unknown id is the handler's to answer (UNKNOWN_TOPIC_ID).
          return name === null || topic('READ', name);
        });
        return {
          request: { ...request, topics: ok },
          after: (response) => {
            let bytes = 0;
            let records = 0;
            for (const t of response.responses) {
              for (const p of t.partitions) {
                bytes += p.records?.length ?? 0;
                records += countRecords(p.records);
              }
            }
            const refused = denied.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partition, errorCode: TOPIC_DENIED, records: null })) }));
            const throttleMs = interBroker ? 0 : quotas.recordFetch(identity, bytes, records);
            return this.throttle({ ...response, responses: [...response.responses, ...refused] }, throttleMs);
          },
        };
      }
      case KafkaApiKey.ListOffsets: {
        const [ok, denied] = split(request.topics as Obj[], (t) => topic('DESCRIBE', t.name));
        return {
          request: { ...request, topics: ok },
          after: (response) => ({ ...response, topics: [...response.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_DENIED })) }))] }),
        };
      }
      case KafkaApiKey.Metadata:
        return this.metadata(request, identity);
      case KafkaApiKey.OffsetCommit: {
        if (!group('READ', request.groupId)) {
          return { respond: { topics: request.topics.map((t: Obj) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, errorCode: GROUP_DENIED })) })) } };
        }
        const [ok, denied] = split(request.topics as Obj[], (t) => topic('READ', t.name));
        return {
          request: { ...request, topics: ok },
          after: (response) => ({ ...response, topics: [...response.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_DENIED })) }))] }),
        };
      }
      case KafkaApiKey.OffsetFetch:
        return this.offsetFetch(apiVersion, request, identity);
      case KafkaApiKey.FindCoordinator: {
        const keyAllowed = (key: string): number => {
          if (request.keyType === 1) return this.allowed(identity, 'DESCRIBE', transactionalIdResource(key)) ? 0 : TXN_DENIED;
          return group('DESCRIBE', key) ? 0 : GROUP_DENIED;
        };
        if (apiVersion < 4) {
          const code = keyAllowed(request.key);
          return code === 0 ? { request } : { respond: { errorCode: code, errorMessage: 'not authorized', nodeId: -1, host: '', port: -1 } };
        }
        const [ok, denied] = split(request.coordinatorKeys as string[], (k) => keyAllowed(k) === 0);
        return {
          request: { ...request, coordinatorKeys: ok },
          after: (response) => ({ ...response, coordinators: [...response.coordinators, ...denied.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: keyAllowed(key), errorMessage: 'not authorized' }))] }),
        };
      }
      case KafkaApiKey.JoinGroup:
      case KafkaApiKey.SyncGroup:
      case KafkaApiKey.Heartbeat:
      case KafkaApiKey.LeaveGroup:
        return group('READ', request.groupId) ? { request } : { respond: { errorCode: GROUP_DENIED, generationId: -1 } };
      case KafkaApiKey.DescribeGroups: {
        const [ok, denied] = split(request.groups as string[], (g) => group('DESCRIBE', g));
        return {
          request: { ...request, groups: ok },
          after: (response) => ({ ...response, groups: [...response.groups, ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED }))] }),
        };
      }
      case KafkaApiKey.ListGroups:
        return { request, after: (response) => ({ ...response, groups: response.groups.filter((g: Obj) => group('DESCRIBE', g.groupId)) }) };
      case KafkaApiKey.CreateTopics: {
        // Tenant limits count this request's earlier topics too.
        const adding = new Map<string, { topics: number; partitions: number }>();
        const refusals = new Map<Obj, { errorCode: number; errorMessage: string } | null>();
        const refusal = (topic: Obj): { errorCode: number; errorMessage: string } | null => {
          if (refusals.has(topic)) return refusals.get(topic)!;
          const name = topic.name as string;
          try {
            this.access.checkMayCreateTopic(identity, name);
            const tenant = prefixTenantOf(name) ?? '';
            const before = adding.get(tenant) ?? { topics: 0, partitions: 0 };
            const partitions = topic.numPartitions > 0 ? topic.numPartitions : topic.assignments?.length > 0 ? topic.assignments.length : this.numPartitions;
            checkTenantLimits(this.access, this.listTopics, name, { topics: before.topics + 1, partitions: before.partitions + partitions });
            if (request.validateOnly !== true) adding.set(tenant, { topics: before.topics + 1, partitions: before.partitions + partitions });
            refusals.set(topic, null);
            return null;
          } catch (err) {
            const code = (err as { code?: string }).code === 'POLICY_VIOLATION' ? KafkaErrorCode.POLICY_VIOLATION : TOPIC_DENIED;
            const answer = { errorCode: code, errorMessage: (err as Error).message };
            refusals.set(topic, answer);
            return answer;
          }
        };
        const [ok, denied] = split(request.topics as Obj[], (t) => refusal(t) === null);
        return {
          request: { ...request, topics: ok },
          after: (response) => ({ ...response, topics: [...response.topics, ...denied.map((t) => ({ name: t.name, ...refusal(t), numPartitions: -1, replicationFactor: -1, configs: null }))] }),
        };
      }
      case KafkaApiKey.DeleteTopics: {
        if (apiVersion < 6) {
          const [ok, denied] = split(request.topicNames as string[], (n) => topic('DELETE', n));
          return { request: { ...request, topicNames: ok }, after: (response) => ({ ...response, responses: [...response.responses, ...denied.map((name) => ({ name, errorCode: TOPIC_DENIED }))] }) };
        }
        const [ok, denied] = split(request.topics as Obj[], (t) => {
          const name = this.topicNameOf(t.name, t.topicId);
          return name === null || topic('DELETE', name);
        });
        return { request: { ...request, topics: ok }, after: (response) => ({ ...response, responses: [...response.responses, ...denied.map((t) => ({ name: t.name, topicId: t.topicId, errorCode: TOPIC_DENIED }))] }) };
      }
      case KafkaApiKey.InitProducerId: {
        if (request.transactionalId !== null) {
          return this.allowed(identity, 'WRITE', transactionalIdResource(request.transactionalId)) ? { request } : { respond: { errorCode: TXN_DENIED, producerId: -1, producerEpoch: -1 } };
        }
        // Kafka: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic (KIP-679).
        const idempotent = this.allowed(identity, 'IDEMPOTENT_WRITE', CLUSTER_RESOURCE) || this.access.security!.authorizer.authorizeByResourceType(identity, 'WRITE', 'TOPIC');
        return idempotent ? { request } : { respond: { errorCode: CLUSTER_DENIED, producerId: -1, producerEpoch: -1 } };
      }
      // Transactions (Kafka's rules): WRITE on the transactional id, plus WRITE on each topic added,
      // READ on the group whose offsets join. WriteTxnMarkers is brokers' (CLUSTER_ACTION).
      case KafkaApiKey.AddPartitionsToTxn: {
        const txnOk = this.allowed(identity, 'WRITE', transactionalIdResource(request.v3AndBelowTransactionalId));
        const deniedTopic = (name: string): boolean => !topic('WRITE', name);
        if (txnOk && !(request.v3AndBelowTopics as Obj[]).some((t) => deniedTopic(t.name))) return { request };
        const codeOf = (name: string): number => (!txnOk ? TXN_DENIED : deniedTopic(name) ? TOPIC_DENIED : KafkaErrorCode.OPERATION_NOT_ATTEMPTED);
        return {
          respond: {
            errorCode: 0,
            resultsByTransaction: [],
            resultsByTopicV3AndBelow: (request.v3AndBelowTopics as Obj[]).map((t) => ({ name: t.name, resultsByPartition: (t.partitions as number[]).map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name) })) })),
          },
        };
      }
      case KafkaApiKey.AddOffsetsToTxn:
        if (!this.allowed(identity, 'WRITE', transactionalIdResource(request.transactionalId))) return { respond: { errorCode: TXN_DENIED } };
        return group('READ', request.groupId) ? { request } : { respond: { errorCode: GROUP_DENIED } };
      case KafkaApiKey.EndTxn:
        return this.allowed(identity, 'WRITE', transactionalIdResource(request.transactionalId)) ? { request } : { respond: { errorCode: TXN_DENIED, producerId: -1, producerEpoch: -1 } };
      case KafkaApiKey.TxnOffsetCommit: {
        const refusedWhole = !this.allowed(identity, 'WRITE', transactionalIdResource(request.transactionalId)) ? TXN_DENIED : !group('READ', request.groupId) ? GROUP_DENIED : 0;
        if (refusedWhole !== 0) return { respond: { topics: (request.topics as Obj[]).map((t) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, errorCode: refusedWhole })) })) } };
        const [ok, denied] = split(request.topics as Obj[], (t) => topic('READ', t.name));
        return {
          request: { ...request, topics: ok },
          after: (response) => ({ ...response, topics: [...response.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_DENIED })) }))] }),
        };
      }
      // A follower's OffsetForLeaderEpoch (replica id >= 0, v3+) is a broker's; a consumer's (-1) needs DESCRIBE on each topic, as in Kafka.
      case KafkaApiKey.OffsetForLeaderEpoch: {
        if (request.replicaId >= 0 && !interBroker) {
          return { respond: { throttleTimeMs: 0, topics: request.topics.map((t: Obj) => ({ topic: t.topic, partitions: t.partitions.map((p: Obj) => ({ partition: p.partition, errorCode: CLUSTER_DENIED, leaderEpoch: -1, endOffset: -1 })) })) } };
        }
        const [ok, denied] = split(request.topics as Obj[], (t) => topic('DESCRIBE', t.topic));
        return {
          request: { ...request, topics: ok },
          after: (response) => ({
            ...response,
            topics: [...response.topics, ...denied.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p: Obj) => ({ partition: p.partition, errorCode: TOPIC_DENIED, leaderEpoch: -1, endOffset: -1 })) }))],
          }),
        };
      }
      case KafkaApiKey.WriteTxnMarkers:
        return this.allowed(identity, 'CLUSTER_ACTION', CLUSTER_RESOURCE) ? { request } : { unruled: true };
      case KafkaApiKey.DeleteRecords: {
        const [ok, denied] = split(request.topics as Obj[], (t) => topic('DELETE', t.name));
        return {
          request: { ...request, topics: ok },
          after: (response) => ({ ...response, topics: [...response.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: TOPIC_DENIED })) }))] }),
        };
      }
      case KafkaApiKey.CreatePartitions: {
        // Growing a topic is ALTER on it; the tenant's partition limit applies as on HTTP.
        const refusal = (t: Obj): { errorCode: number; errorMessage: string } | null => {
          if (!topic('ALTER', t.name)) return { errorCode: TOPIC_DENIED, errorMessage: `not authorized to ALTER topic ${t.name}` };
          try {
            const current = this.exists(t.name) ? this.logManager.describeTopic(t.name).partitions : t.count;
            if (t.count > current) checkTenantLimits(this.access, this.listTopics, t.name, { topics: 0, partitions: t.count - current });
            return null;
          } catch (err) {
            return { errorCode: KafkaErrorCode.POLICY_VIOLATION, errorMessage: (err as Error).message };
          }
        };
        const [ok, denied] = split(request.topics as Obj[], (t) => refusal(t) === null);
        return { request: { ...request, topics: ok }, after: (response) => ({ ...response, results: [...response.results, ...denied.map((t) => ({ name: t.name, ...refusal(t) }))] }) };
      }
      case KafkaApiKey.DeleteGroups: {
        const [ok, denied] = split(request.groupsNames as string[], (g) => group('DELETE', g));
        return { request: { ...request, groupsNames: ok }, after: (response) => ({ ...response, results: [...response.results, ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED }))] }) };
      }
      case KafkaApiKey.DescribeConfigs:
      case KafkaApiKey.AlterConfigs:
      case KafkaApiKey.IncrementalAlterConfigs: {
        // Topic (2): DESCRIBE_CONFIGS / ALTER_CONFIGS on it; broker (4) and others: on the cluster.
        const operation: Operation = apiKey === KafkaApiKey.DescribeConfigs ? 'DESCRIBE_CONFIGS' : 'ALTER_CONFIGS';
        const allowedResource = (r: Obj): boolean => (r.resourceType === 2 ? topic(operation, r.resourceName) : this.allowed(identity, operation, CLUSTER_RESOURCE));
        const [ok, denied] = split(request.resources as Obj[], allowedResource);
        const refused = denied.map((r) => ({ errorCode: r.resourceType === 2 ? TOPIC_DENIED : CLUSTER_DENIED, errorMessage: `not authorized to ${operation}`, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }));
        const list = apiKey === KafkaApiKey.DescribeConfigs ? 'results' : 'responses';
        return { request: { ...request, resources: ok }, after: (response) => ({ ...response, [list]: [...response[list], ...refused] }) };
      }
      case KafkaApiKey.DescribeCluster:
        return this.allowed(identity, 'DESCRIBE', CLUSTER_RESOURCE) ? { request } : { respond: { errorCode: CLUSTER_DENIED, errorMessage: 'not authorized to DESCRIBE the cluster' } };
      // Kafka's KafkaApis: ALTER on the cluster to move replicas, DESCRIBE on it to list the moves.
      case KafkaApiKey.AlterPartitionReassignments:
        return this.allowed(identity, 'ALTER', CLUSTER_RESOURCE) ? { request } : {
              // As Kafka's getErrorResponse: the top-level code, repeated on every partition.
              respond: {
                errorCode: CLUSTER_DENIED,
                errorMessage: 'not authorized to ALTER the cluster',
                responses: (request.topics as Obj[]).map((t) => ({ name: t.name, partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partitionIndex, errorCode: CLUSTER_DENIED, errorMessage: 'not authorized to ALTER the cluster' })) })),
              },
            };
      case KafkaApiKey.ListPartitionReassignments:
        return this.allowed(identity, 'DESCRIBE', CLUSTER_RESOURCE) ? { request } : { respond: { errorCode: CLUSTER_DENIED, errorMessage: 'not authorized to DESCRIBE the cluster', topics: [] } };
      case KafkaApiKey.SaslHandshake:
      case KafkaApiKey.SaslAuthenticate:
      case KafkaApiKey.CreateAcls:
      case KafkaApiKey.DescribeAcls:
      case KafkaApiKey.DeleteAcls:
      case KafkaApiKey.DescribeClientQuotas:
      case KafkaApiKey.AlterClientQuotas:
      case KafkaApiKey.DescribeUserScramCredentials:
      case KafkaApiKey.AlterUserScramCredentials:
        // Open to all (the handlers check ALTER/DESCRIBE(_CONFIGS) on the cluster themselves).
        return { request };
      default:
        return { unruled: true };
    }
  }

  /** CLUSTER_AUTHORIZATION_FAILED for a replica fetch from a non-broker principal: at the top (v7+) and on every partition. */
  private replicaFetchRefused(request: Obj): Obj {
    return {
      throttleTimeMs: 0,
      errorCode: CLUSTER_DENIED,
      sessionId: 0,
      responses: (request.topics as Obj[]).map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p: Obj) => ({ partitionIndex: p.partition, errorCode: CLUSTER_DENIED, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: null })),
      })),
      nodeEndpoints: [],
    };
  }

  private metadata(request: Obj, identity: Identity): Authorized {
    const describable = (name: string): boolean => this.allowed(identity, 'DESCRIBE', topicResource(name));
    const refused: Obj[] = [];
    let topics = request.topics as Obj[] | null;
    if (topics !== null) {
      topics = topics.filter((t) => {
        const name = this.topicNameOf(t.name, t.topicId);
        if (name === null) return true; // unknown id: the handler answers UNKNOWN_TOPIC_ID
        if (!describable(name)) {
          refused.push({ errorCode: TOPIC_DENIED, name, topicId: t.topicId, isInternal: false, partitions: [] });
          return false;
        }
        // Auto-creation needs what creating needs (the tenant's topic and partition limits too); without it, the topic is just unknown.
        if (request.allowAutoTopicCreation === true && !this.exists(name)) {
          try {
            this.access.checkMayCreateTopic(identity, name);
            checkTenantLimits(this.access, this.listTopics, name, { topics: 1, partitions: this.numPartitions });
          } catch {
            refused.push({ errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: t.topicId, isInternal: false, partitions: [] });
            return false;
          }
        }
        return true;
      });
    }
    return {
      request: { ...request, topics },
      after: (response) => ({ ...response, topics: [...response.topics.filter((t: Obj) => t.name === null || describable(t.name)), ...refused] }),
    };
  }

  private offsetFetch(apiVersion: number, request: Obj, identity: Identity): Authorized {
    const groupOk = (g: string): boolean => this.allowed(identity, 'DESCRIBE', groupResource(g));
    const topicOk = (t: string): boolean => this.allowed(identity, 'DESCRIBE', topicResource(t));
    // Explicitly asked topics the principal may not see: TOPIC_AUTHORIZATION_FAILED; "all topics": left out.
    const filterTopics = (topics: Obj[], explicit: boolean): Obj[] =>
      topics.flatMap((t) => (topicOk(t.name) ? [t] : explicit ? [{ ...t, partitions: t.partitions.map((p: Obj) => ({ ...p, committedOffset: -1, errorCode: TOPIC_DENIED })) }] : []));
    if (apiVersion < 8) {
      if (!groupOk(request.groupId)) {
        const topics = (request.topics ?? []).map((t: Obj) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex: number) => ({ partitionIndex, committedOffset: -1, errorCode: GROUP_DENIED })) }));
        return { respond: { errorCode: GROUP_DENIED, topics } };
      }
      return { request, after: (response) => ({ ...response, topics: filterTopics(response.topics, request.topics !== null) }) };
    }
    const [ok, denied] = split(request.groups as Obj[], (g) => groupOk(g.groupId));
    const explicit = new Map((request.groups as Obj[]).map((g) => [g.groupId, g.topics !== null]));
    return {
      request: { ...request, groups: ok },
      after: (response) => ({
        ...response,
        groups: [...response.groups.map((g: Obj) => ({ ...g, topics: filterTopics(g.topics, explicit.get(g.groupId) === true) })), ...denied.map((g) => ({ groupId: g.groupId, topics: [], errorCode: GROUP_DENIED }))],
      }),
    };
  }
}
