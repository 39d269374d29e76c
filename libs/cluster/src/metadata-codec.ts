/**
 * The etcd key layout of a Spool cluster and the encoding of every value. All keys live under
 * `/<clusterName>/` (SPOOL_CLUSTER_NAME, default `spool`), so clusters can share one etcd.
 * Values are UTF-8 JSON objects with a `version` field (1 today); readers ignore unknown fields,
 * so a later version may add some. Who writes each key, and under which condition, is in
 * docs/cluster.md.
 *
 *   cluster_id               22-char base64url uuid (text, not JSON). Created once, if absent.
 *   brokers/<id>             {"version":1,"host":s,"kafkaPort":n,"httpPort":n,"rack":s|null,
 *                             "incarnationId":s,"startTimeMs":n,"controlledShutdown":b}
 *                            under the broker's lease; its create revision is the broker epoch.
 *   controller               {"version":1,"brokerId":n,"controllerEpoch":n,"incarnationId":s}
 *                            under the controller's (broker) lease; its create revision fences.
 *   controller_epoch         decimal integer (text), the last controller epoch handed out.
 *   topics/<name>            {"version":1,"topicId":s,"partitions":n,"configs":{s:s},
 *                             "assignment":[[n,...],...]}
 *   partitions/<topic>/<p>   {"version":1,"topicId":s,"leader":n|null,"leaderEpoch":n,
 *                             "partitionEpoch":n,"replicas":[n],"isr":[n],"addingReplicas":[n],
 *                             "removingReplicas":[n],"leaderRecoveryState":"RECOVERED"|"RECOVERING",
 *                             "controllerEpoch":n,"leaderBrokerEpoch":n|null}
 *   producer_ids             {"version":1,"brokerId":n,"blockStart":n,"blockEnd":n}: the last
 *                            block of producer ids handed out (both ends inclusive).
 *   security/<record key>    the security store of a cluster with authentication on, written and
 *                            read by apps/server (etcd-security-store.ts); ignored here.
 *
 * `<p>` is the partition index in decimal; topic names never contain '/', so
 * `partitions/<topic>/` is exactly one topic's range. Revisions (mod, create) come from etcd,
 * never from the value. A value that does not decode is reported (CORRUPT_MESSAGE, naming the
 * key) and the reader skips that key instead of acting on a guess.
 */
import { isTopicId } from '@spool/common';
import { ClusterError } from './cluster.error.js';
import type { BrokerRegistration, ControllerInfo, LeaderRecoveryState, PartitionState, PartitionStateFields, TopicRecord } from './metadata-types.js';

const FORMAT_VERSION = 1;
const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The broker fields stored in `brokers/<id>` (the epoch is the key's create revision). */
export type BrokerRegistrationValue = Omit<BrokerRegistration, 'brokerEpoch' | 'brokerId'>;

/** The controller fields stored in `controller`. */
export interface ControllerValue {
  readonly brokerId: number;
  readonly controllerEpoch: number;
  readonly incarnationId: string;
}

/** The last producer id block handed out (Kafka's /latest_producer_id_block). */
export interface ProducerIdBlockValue {
  readonly brokerId: number;
  readonly blockStart: number;
  readonly blockEnd: number;
}

/** What a key under the cluster root is. */
export type ParsedKey =
  | { readonly kind: 'cluster-id' }
  | { readonly kind: 'broker'; readonly brokerId: number }
  | { readonly kind: 'controller' }
  | { readonly kind: 'controller-epoch' }
  | { readonly kind: 'topic'; readonly topic: string }
  | { readonly kind: 'partition'; readonly topic: string; readonly partition: number }
  | { readonly kind: 'producer-ids' }
  | { readonly kind: 'unknown' };

/** Builds and parses the keys of one cluster. */
export class ClusterKeys {
  /** `/<clusterName>/`, the prefix of every key. */
  readonly root: string;

  constructor(readonly clusterName: string) {
    if (!CLUSTER_NAME.test(clusterName)) {
      throw new ClusterError('INVALID_CONFIG', `cluster name '${clusterName}' must be 1-64 characters of [A-Za-z0-9._-]`);
    }
    this.root = `/${clusterName}/`;
  }

  clusterId(): string {
    return `${this.root}cluster_id`;
  }
  broker(brokerId: number): string {
    return `${this.root}brokers/${brokerId}`;
  }
  brokersPrefix(): string {
    return `${this.root}brokers/`;
  }
  controller(): string {
    return `${this.root}controller`;
  }
  controllerEpoch(): string {
    return `${this.root}controller_epoch`;
  }
  topic(name: string): string {
    return `${this.root}topics/${name}`;
  }
  partition(topic: string, partition: number): string {
    return `${this.root}partitions/${topic}/${partition}`;
  }
  partitionsPrefix(topic: string): string {
    return `${this.root}partitions/${topic}/`;
  }
  producerIds(): string {
    return `${this.root}producer_ids`;
  }

  parse(key: string): ParsedKey {
    if (!key.startsWith(this.root)) return { kind: 'unknown' };
    const rest = key.slice(this.root.length);
    if (rest === 'cluster_id') return { kind: 'cluster-id' };
    if (rest === 'controller') return { kind: 'controller' };
    if (rest === 'controller_epoch') return { kind: 'controller-epoch' };
    if (rest === 'producer_ids') return { kind: 'producer-ids' };
    const parts = rest.split('/');
    if (parts[0] === 'brokers' && parts.length === 2 && isDecimal(parts[1]!)) return { kind: 'broker', brokerId: Number(parts[1]) };
    if (parts[0] === 'topics' && parts.length === 2 && parts[1] !== '') return { kind: 'topic', topic: parts[1]! };
    if (parts[0] === 'partitions' && parts.length === 3 && parts[1] !== '' && isDecimal(parts[2]!)) {
      return { kind: 'partition', topic: parts[1]!, partition: Number(parts[2]) };
    }
    return { kind: 'unknown' };
  }
}

function isDecimal(text: string): boolean {
  return /^(0|[1-9][0-9]{0,9})$/.test(text) && Number(text) <= 2147483647;
}

// ---- encoders ---------------------------------------------------------------------------------

export function encodeBrokerRegistration(value: BrokerRegistrationValue): string {
  const { host, kafkaPort, httpPort, rack, incarnationId, startTimeMs, controlledShutdown } = value;
  return JSON.stringify({ version: FORMAT_VERSION, host, kafkaPort, httpPort, rack, incarnationId, startTimeMs, controlledShutdown });
}

export function encodeController(value: ControllerValue): string {
  return JSON.stringify({ version: FORMAT_VERSION, brokerId: value.brokerId, controllerEpoch: value.controllerEpoch, incarnationId: value.incarnationId });
}

export function encodeTopic(topic: Omit<TopicRecord, 'modRevision'>): string {
  return JSON.stringify({ version: FORMAT_VERSION, topicId: topic.topicId, partitions: topic.partitions, configs: topic.configs, assignment: topic.assignment });
}

export function encodePartitionState(s: PartitionStateFields): string {
  return JSON.stringify({
    version: FORMAT_VERSION,
    topicId: s.topicId,
    leader: s.leader,
    leaderEpoch: s.leaderEpoch,
    partitionEpoch: s.partitionEpoch,
    replicas: s.replicas,
    isr: s.isr,
    addingReplicas: s.addingReplicas,
    removingReplicas: s.removingReplicas,
    leaderRecoveryState: s.leaderRecoveryState,
    controllerEpoch: s.controllerEpoch,
    leaderBrokerEpoch: s.leaderBrokerEpoch,
  });
}

export function encodeProducerIdBlock(value: ProducerIdBlockValue): string {
  return JSON.stringify({ version: FORMAT_VERSION, brokerId: value.brokerId, blockStart: value.blockStart, blockEnd: value.blockEnd });
}

// ---- decoders ---------------------------------------------------------------------------------

/** Reads one JSON value and checks its fields; every failure names the key. */
class ValueReader {
  private readonly obj: Record<string, unknown>;

  constructor(
    private readonly key: string,
    text: string,
  ) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.fail(`is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw this.fail('is not a JSON object');
    this.obj = parsed as Record<string, unknown>;
    const version = this.obj['version'];
    if (typeof version !== 'number' || version < FORMAT_VERSION) throw this.fail(`has version ${String(version)}, expected ${FORMAT_VERSION} or later`);
  }

  int(name: string, min = 0): number {
    const v = this.obj[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw this.fail(`field ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  }
  intOrNull(name: string, min = 0): number | null {
    return this.obj[name] === null ? null : this.int(name, min);
  }
  string(name: string): string {
    const v = this.obj[name];
    if (typeof v !== 'string') throw this.fail(`field ${name} must be a string, got ${JSON.stringify(v)}`);
    return v;
  }
  stringOrNull(name: string): string | null {
    return this.obj[name] === null || this.obj[name] === undefined ? null : this.string(name);
  }
  bool(name: string): boolean {
    const v = this.obj[name];
    if (typeof v !== 'boolean') throw this.fail(`field ${name} must be a boolean, got ${JSON.stringify(v)}`);
    return v;
  }
  brokerList(name: string, allowEmpty = true): readonly number[] {
    const v = this.obj[name];
    if (!Array.isArray(v) || v.some((b) => typeof b !== 'number' || !Number.isSafeInteger(b) || b < 0)) {
      throw this.fail(`field ${name} must be an array of broker ids, got ${JSON.stringify(v)}`);
    }
    if (!allowEmpty && v.length === 0) throw this.fail(`field ${name} must not be empty`);
    return Object.freeze([...(v as number[])]);
  }
  stringMap(name: string): Readonly<Record<string, string>> {
    const v = this.obj[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((s) => typeof s !== 'string')) {
      throw this.fail(`field ${name} must be an object of strings`);
    }
    return Object.freeze({ ...(v as Record<string, string>) });
  }
  assignment(name: string): readonly (readonly number[])[] {
    const v = this.obj[name];
    if (!Array.isArray(v)) throw this.fail(`field ${name} must be an array of replica lists`);
    return Object.freeze(
      v.map((replicas, i) => {
        if (!Array.isArray(replicas) || replicas.length === 0 || replicas.some((b) => typeof b !== 'number' || !Number.isSafeInteger(b) || b < 0)) {
          throw this.fail(`field ${name}[${i}] must be a non-empty array of broker ids`);
        }
        return Object.freeze([...(replicas as number[])]);
      }),
    );
  }
  topicId(name: string): string {
    const v = this.string(name);
    if (!isTopicId(v)) throw this.fail(`field ${name} must be a topic id (22 characters of base64url), got ${JSON.stringify(v)}`);
    return v;
  }
  recoveryState(name: string): LeaderRecoveryState {
    const v = this.obj[name];
    if (v !== 'RECOVERED' && v !== 'RECOVERING') throw this.fail(`field ${name} must be RECOVERED or RECOVERING, got ${JSON.stringify(v)}`);
    return v;
  }

  fail(what: string): ClusterError {
    return new ClusterError('CORRUPT_MESSAGE', `etcd key ${this.key} ${what}`, { key: this.key });
  }
}

export function decodeBrokerRegistration(key: string, text: string, brokerId: number, brokerEpoch: number): BrokerRegistration {
  const r = new ValueReader(key, text);
  return Object.freeze({
    brokerId,
    host: r.string('host'),
    kafkaPort: r.int('kafkaPort'),
    httpPort: r.int('httpPort'),
    rack: r.stringOrNull('rack'),
    incarnationId: r.string('incarnationId'),
    startTimeMs: r.int('startTimeMs'),
    controlledShutdown: r.bool('controlledShutdown'),
    brokerEpoch,
  });
}

export function decodeController(key: string, text: string, electionRevision: number): ControllerInfo & { readonly incarnationId: string } {
  const r = new ValueReader(key, text);
  return Object.freeze({ brokerId: r.int('brokerId'), controllerEpoch: r.int('controllerEpoch', 1), incarnationId: r.string('incarnationId'), electionRevision });
}

export function decodeControllerEpoch(key: string, text: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) throw new ClusterError('CORRUPT_MESSAGE', `etcd key ${key} must be a decimal integer, got ${JSON.stringify(text.slice(0, 40))}`, { key });
  return Number(text);
}

export function decodeTopic(key: string, text: string, name: string, modRevision: number): TopicRecord {
  const r = new ValueReader(key, text);
  const partitions = r.int('partitions', 1);
  const assignment = r.assignment('assignment');
  if (assignment.length !== partitions) throw r.fail(`has ${assignment.length} assignments for ${partitions} partitions`);
  return Object.freeze({ name, topicId: r.topicId('topicId'), partitions, configs: r.stringMap('configs'), assignment, modRevision });
}

export function decodePartitionState(key: string, text: string, topic: string, partition: number, modRevision: number): PartitionState {
  const r = new ValueReader(key, text);
  const state: PartitionState = Object.freeze({
    topic,
    partition,
    topicId: r.topicId('topicId'),
    leader: r.intOrNull('leader'),
    leaderEpoch: r.int('leaderEpoch'),
    partitionEpoch: r.int('partitionEpoch'),
    replicas: r.brokerList('replicas', false),
    isr: r.brokerList('isr', false),
    addingReplicas: r.brokerList('addingReplicas'),
    removingReplicas: r.brokerList('removingReplicas'),
    leaderRecoveryState: r.recoveryState('leaderRecoveryState'),
    controllerEpoch: r.int('controllerEpoch'),
    leaderBrokerEpoch: r.intOrNull('leaderBrokerEpoch'),
    modRevision,
  });
  if (state.isr.some((b) => !state.replicas.includes(b))) throw r.fail(`has ISR ${JSON.stringify(state.isr)} outside replicas ${JSON.stringify(state.replicas)}`);
  return state;
}

export function decodeProducerIdBlock(key: string, text: string): ProducerIdBlockValue {
  const r = new ValueReader(key, text);
  const value = { brokerId: r.int('brokerId'), blockStart: r.int('blockStart'), blockEnd: r.int('blockEnd') };
  if (value.blockEnd < value.blockStart) throw r.fail(`has blockEnd ${value.blockEnd} below blockStart ${value.blockStart}`);
  return value;
}
