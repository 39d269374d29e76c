/**
 * Helpers for the failover tests, kept out of spool-cluster.test-util.ts so that other tests'
 * harness changes never conflict with these: an etcd reader of a cluster's partition states and
 * controller key (the ground truth the brokers act on), a Kafka connection pool to every broker
 * of a cluster, a topic-config writer, a reader of one replica's log files, producers that keep
 * writing through a failure, and the check of a replica against what they were told.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BrokerClientPool } from '@spool/broker-client';
import { decodeRecordBatch, iterateBatches } from '@spool/protocol';
import { Kafka, type Producer } from 'kafkajs';
import { ClusterKeys, EtcdConnection, decodePartitionState, type PartitionState } from '@spool/cluster';
import type { ClusterBrokerProcess, SpoolCluster } from './spool-cluster.test-util.js';

/** Reads a SpoolCluster's keys straight from etcd (never through a broker). */
export class ClusterEtcdReader {
  readonly keys: ClusterKeys;
  readonly etcd: EtcdConnection;

  constructor(cluster: SpoolCluster) {
    this.keys = new ClusterKeys(cluster.clusterName);
    this.etcd = new EtcdConnection({ endpoints: [cluster.etcd.endpoint] });
  }

  /** The partition's state as the controller last wrote it, or undefined before it did. */
  async partitionState(topic: string, partition: number): Promise<PartitionState | undefined> {
    const { kv } = await this.etcd.get(this.keys.partition(topic, partition));
    return kv === null ? undefined : decodePartitionState(kv.key, kv.value, topic, partition, kv.modRevision);
  }

  /** The current controller's broker id and epoch (from the `controller` key), or undefined. */
  async controller(): Promise<{ brokerId: number; controllerEpoch: number; modRevision: number } | undefined> {
    const { kv } = await this.etcd.get(this.keys.controller());
    if (kv === null) return undefined;
    const value = JSON.parse(kv.value.toString()) as { brokerId: number; controllerEpoch: number };
    return { brokerId: value.brokerId, controllerEpoch: value.controllerEpoch, modRevision: kv.modRevision };
  }

  close(): void {
    this.etcd.close();
  }
}

/** A pool with a connection slot for every broker of the cluster (running or not). */
export function brokerPool(cluster: SpoolCluster, clientId = 'failover-e2e'): BrokerClientPool {
  const pool = new BrokerClientPool({ clientId, requestTimeoutMs: 15_000 });
  for (const b of cluster.brokers.values()) pool.setBroker(b.brokerId, { host: '127.0.0.1', port: b.kafkaPort });
  return pool;
}

/**
 * Sets topic configs in etcd (null removes one) the way the topic admin does (compare-and-swap on
 * the topic key's mod revision), for configs the admin APIs do not accept yet; brokers see the
 * change through their watch. The leaders honour min.insync.replicas from there, but each
 * broker's local log store refuses values it does not accept, and its topic sync retries (and
 * stalls) until the config is removed: remove it at the end of the test.
 */
export async function setTopicConfigsInEtcd(reader: ClusterEtcdReader, topic: string, configs: Record<string, string | null>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const key = reader.keys.topic(topic);
    const { kv } = await reader.etcd.get(key);
    if (kv === null) throw new Error(`no topic ${topic} in etcd`);
    const value = JSON.parse(kv.value) as { configs: Record<string, string> };
    const merged: Record<string, string | null> = { ...value.configs, ...configs };
    const next = JSON.stringify({ ...value, configs: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== null)) });
    const result = await reader.etcd.txn([{ key, target: 'modRevision', equals: kv.modRevision }], [{ put: key, value: next }]);
    if (result.succeeded) return;
  }
  throw new Error(`could not set ${JSON.stringify(configs)} on ${topic}: the key kept changing`);
}

/**
 * One replica's copy of a partition, read straight from a broker's data directory (every
 * `<dataDir>/<topic>-<partition>/<base offset>.log` segment in order, storage-format.md): each
 * record's offset and value. The broker may be running: a batch still being written at the end
 * (a size beyond the file, or zeros) ends the reading.
 */
export async function readReplica(dataDir: string, topic: string, partition: number): Promise<Array<{ offset: number; value: string }>> {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  const segments = (await readdir(dir)).filter((name) => /^\d{20}\.log$/.test(name)).sort();
  const records: Array<{ offset: number; value: string }> = [];
  for (const segment of segments) {
    const buf = await readFile(path.join(dir, segment));
    let end = 0;
    while (buf.length - end >= 12) {
      const size = buf.readInt32BE(end + 8) + 12;
      if (size <= 12 || size > buf.length - end) break;
      end += size;
    }
    for (const { pos } of iterateBatches(buf, { end, validate: true })) {
      for (const r of decodeRecordBatch(buf, pos).records) records.push({ offset: r.offset, value: r.value === null ? '<null>' : r.value.toString('utf8') });
    }
  }
  return records;
}

/** What one producer did: values acknowledged, values whose outcome is unknown (failed or timed out), errors seen. */
export interface ProducerLog {
  readonly acked: string[];
  readonly unknown: string[];
  readonly errors: Set<string>;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Two producers writing to one partition until stopped: kafkajs (idempotent, acks=-1, one request
 * in flight, generous retries) and HTTP (acks=all, each request to the next live node, as a load
 * balancer would send it; a failed request is not retried, its value counts as unknown). Values
 * are unique (`kjs-<n>-a|b`, `http-<n>`; HTTP stores its values as JSON strings).
 */
export class BackgroundProducers {
  readonly kafkajs: ProducerLog = { acked: [], unknown: [], errors: new Set() };
  readonly http: ProducerLog = { acked: [], unknown: [], errors: new Set() };
  private stopping = false;
  private loops: Promise<void>[] = [];
  private producer: Producer | null = null;

  constructor(
    private readonly cluster: SpoolCluster,
    private readonly topic: string,
  ) {}

  async start(): Promise<void> {
    const log = this.kafkajs;
    const kafka = new Kafka({
      clientId: 'failover-kafkajs',
      brokers: this.cluster.bootstrap(),
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
      logCreator: () => (entry) => {
        const error = entry.log.error as string | undefined;
        if (error !== undefined) log.errors.add(`${entry.log.message}: ${error}`);
      },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    this.producer = producer;
    await producer.connect();
    this.loops = [this.kafkajsLoop(producer), this.httpLoop()];
  }

  /** Stops both loops (after their request in flight) and disconnects kafkajs. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Every acknowledged value as stored (HTTP's as JSON strings). */
  acked(): string[] {
    return [...this.kafkajs.acked, ...this.http.acked.map((v) => JSON.stringify(v))];
  }

  unknown(): string[] {
    return [...this.kafkajs.unknown, ...this.http.unknown.map((v) => JSON.stringify(v))];
  }

  describe(): string {
    return `acknowledged kafkajs ${this.kafkajs.acked.length}, HTTP ${this.http.acked.length}; unknown kafkajs ${this.kafkajs.unknown.length}, HTTP ${this.http.unknown.length}; kafkajs saw: ${[...this.kafkajs.errors].slice(0, 6).join(' | ')}; HTTP saw: ${[...this.http.errors].slice(0, 6).join(' | ')}`;
  }

  private async kafkajsLoop(producer: Producer): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const values = [`kjs-${i}-a`, `kjs-${i}-b`];
      try {
        await producer.send({ topic: this.topic, acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
        this.kafkajs.acked.push(...values);
      } catch (err) {
        this.kafkajs.unknown.push(...values);
        this.kafkajs.errors.add(`send failed: ${(err as Error).message}`);
        await pause(100);
      }
    }
  }

  private async httpLoop(): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const value = `http-${i}`;
      const nodes = this.cluster.running();
      const node = nodes[i % Math.max(nodes.length, 1)];
      if (node === undefined) {
        await pause(100);
        continue;
      }
      try {
        const res = await node.http('POST', `/v1/topics/${this.topic}/records`, { records: [{ value, partition: 0 }], acks: 'all' });
        const error = res.body?.results?.[0]?.error ?? (res.status === 200 ? undefined : res.body);
        if (res.status === 200 && error === undefined) {
          this.http.acked.push(value);
          continue;
        }
        this.http.unknown.push(value);
        this.http.errors.add(`${res.status} ${error?.code ?? JSON.stringify(error)}`);
      } catch (err) {
        this.http.unknown.push(value);
        this.http.errors.add((err as Error).message);
      }
      await pause(100);
    }
  }
}

/**
 * What is wrong with one replica's records given what producers were told: acknowledged values
 * not there exactly once, any value twice, values nobody sent, offsets not dense from 0. Empty
 * when the replica is right.
 */
export function replicaProblems(records: ReadonlyArray<{ offset: number; value: string }>, acked: readonly string[], unknown: readonly string[]): Record<string, unknown> {
  const counted = new Map<string, number>();
  for (const r of records) counted.set(r.value, (counted.get(r.value) ?? 0) + 1);
  const known = new Set([...acked, ...unknown]);
  const problems: Record<string, unknown> = {
    missing: acked.filter((v) => !counted.has(v)),
    duplicated: [...counted].filter(([, n]) => n > 1).map(([v]) => v),
    strangers: [...counted.keys()].filter((v) => !known.has(v)),
    offsetGaps: records.filter((r, i) => r.offset !== i).map((r) => r.offset).slice(0, 5),
  };
  return Object.fromEntries(Object.entries(problems).filter(([, v]) => (v as unknown[]).length > 0));
}

/**
 * Produces `values` to one partition over HTTP (acks=all) through `broker` and returns their
 * offsets; fails on any per-record error (HTTP answers 200 with an error per record when the
 * partition refused them), except that a request refused with errors that append nothing (the
 * leader of a new topic still opening its log) is sent again for up to 30 s. A bound of 45 s per
 * request: acks=all waits for the slowest ISR member, slow on a loaded machine.
 */
export async function httpProduce(broker: ClusterBrokerProcess, topic: string, partition: number, values: readonly string[]): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await httpProduceOnce(broker, topic, partition, values);
    } catch (err) {
      // Refused before any append (a new topic's leader still opening its log, a leader being elected): retry.
      if (!(err instanceof NothingAppended) || Date.now() > deadline) throw err;
      await pause(200);
    }
  }
}

/** A produce refused as a whole with errors that mean nothing was appended. */
class NothingAppended extends Error {}
const NOTHING_APPENDED = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_ENOUGH_REPLICAS']);

async function httpProduceOnce(broker: ClusterBrokerProcess, topic: string, partition: number, values: readonly string[]): Promise<number[]> {
  const res = await fetch(`${broker.url}/v1/topics/${topic}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: values.map((value) => ({ value, partition })), acks: 'all' }),
    signal: AbortSignal.timeout(45_000),
  });
  const body = (await res.json()) as { results?: Array<{ offset: number; error?: { code: string } }> };
  const errors = (body.results ?? []).filter((r) => r.error !== undefined).map((r) => r.error!.code);
  const what = `produce to ${topic}-${partition} through broker ${broker.brokerId}: ${res.status} ${errors.join(',') || JSON.stringify(body)}`;
  if (errors.length === values.length && errors.every((code) => NOTHING_APPENDED.has(code))) throw new NothingAppended(what);
  if (res.status !== 200 || errors.length > 0) throw new Error(what);
  return body.results!.map((r) => r.offset);
}

/**
 * Creates a topic over HTTP through `broker` and waits until that broker describes it. A create
 * whose answer is lost or wrong while the topic was written to etcd (the broker's etcd watch
 * dropped while it waited to see its own write) is sent again: 409 then means it exists.
 */
export async function createTopic(cluster: SpoolCluster, broker: ClusterBrokerProcess, name: string, partitions: number): Promise<void> {
  await cluster.waitFor(`topic ${name} created through broker ${broker.brokerId}`, async () => {
    const created = await broker.http('POST', '/v1/topics', { name, partitions });
    if (created.status !== 201 && created.status !== 409) throw new Error(`POST /v1/topics ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    return (await broker.http('GET', `/v1/topics/${name}`)).status === 200;
  }, 60_000);
}
