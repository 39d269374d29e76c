/**
 * The security store of a cluster (SPOOL_ETCD_ENDPOINTS set): tenants, API keys, SCRAM
 * credentials, ACLs and quotas live in etcd, next to the cluster metadata, and every broker
 * follows them with a watch, so a change made on any node (an ACL, a revoked key) reaches every
 * node's catalog in one watch round trip (milliseconds; docs/security.md, "Cluster mode").
 *
 * Layout: one etcd key per record, `/<clusterName>/security/<record key>` (record keys as in
 * libs/security security-records.ts: `tenant/acme`, `api-key/<keyId>`, `scram/<mechanism>/<user>`,
 * `acl/<binding>`, `quota/<type>/<name>`); the value is the record as JSON (the same JSON a
 * FileSecurityStore line holds). The store's revision is etcd's revision. The metadata cache
 * watches the cluster's whole prefix and ignores these keys.
 *
 * Writes: one etcd transaction per `write`. The keys are read first, the conditions (ifAbsent,
 * ifPresent) checked against what was read, and the transaction guarded by each key's
 * mod revision, so a concurrent writer on another node makes it retry rather than overwrite
 * blindly. `write` resolves once this node's watch has delivered the transaction's revision: by
 * then this node's listeners have the change, as the SecurityStore contract says (other nodes
 * get it from their own watches).
 *
 * Events: the watch delivers one response per etcd revision range; the events of one revision
 * (one transaction) become one listener call, in revision order. A watch that fell behind an
 * etcd compaction re-reads the prefix and reports the difference as changes at the read's
 * revision, then watches from there.
 */
import type { EtcdClientSecurity } from '../cluster/etcd-client.options.js';
import { EtcdConnection, PrefixWatcher, type WatchEvent } from '@spool/cluster';
import { silentLogger, type Logger } from '@spool/common';
import {
  recordKey,
  SecurityError,
  type SecurityChange,
  type SecurityChangeListener,
  type SecurityMutation,
  type SecurityRecord,
  type SecuritySnapshot,
  type SecurityStore,
} from '@spool/security';

export interface EtcdSecurityStoreOptions {
  readonly endpoints: readonly string[];
  /** SPOOL_CLUSTER_NAME: the keys live under `/<clusterName>/security/`. */
  readonly clusterName: string;
  /** TLS and user authentication to etcd (cluster/etcd-client.options.ts), or none. */
  readonly client?: EtcdClientSecurity | null;
  readonly logger?: Logger;
  /** How long a write waits for its own revision to come back through the watch. Default 10 s. */
  readonly applyTimeoutMs?: number;
  /** Transactions retried after a concurrent change of the same keys. Default 20. */
  readonly maxConflictRetries?: number;
}

export class EtcdSecurityStore implements SecurityStore {
  private readonly conn: EtcdConnection;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly applyTimeoutMs: number;
  private readonly maxConflictRetries: number;
  private readonly records = new Map<string, SecurityRecord>();
  private readonly listeners = new Set<SecurityChangeListener>();
  private readonly waiters = new Set<{ revision: number; resolve: () => void }>();
  private watcher: PrefixWatcher | null = null;
  private revision = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private closed = false;

  constructor(options: EtcdSecurityStoreOptions) {
    this.conn = new EtcdConnection({ endpoints: options.endpoints, logger: options.logger, tls: options.client?.tls ?? null, auth: options.client?.auth ?? null });
    this.prefix = `/${options.clusterName}/security/`;
    this.logger = (options.logger ?? silentLogger).child({ component: 'etcd-security-store' });
    this.applyTimeoutMs = options.applyTimeoutMs ?? 10_000;
    this.maxConflictRetries = options.maxConflictRetries ?? 20;
  }

  async load(): Promise<SecuritySnapshot> {
    if (this.watcher !== null) throw new Error('EtcdSecurityStore.load called twice');
    const { records, revision } = await this.readAll();
    for (const [k, r] of records) this.records.set(k, r);
    this.revision = revision;
    this.loaded = true;
    this.startWatch(revision + 1);
    return { revision, records: new Map(this.records) };
  }

  write(mutations: readonly SecurityMutation[]): Promise<number> {
    const result = this.queue.then(() => this.writeNow(mutations));
    this.queue = result.catch(() => undefined);
    return result;
  }

  subscribe(listener: SecurityChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.watcher?.stop();
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
    this.conn.close();
  }

  private async readAll(): Promise<{ records: Map<string, SecurityRecord>; revision: number }> {
    const { kvs, revision } = await this.conn.retryUntilAvailable('reading the security store', () => this.conn.range(this.prefix));
    const records = new Map<string, SecurityRecord>();
    for (const kv of kvs) {
      const record = this.decode(kv.key, kv.value);
      if (record !== null) records.set(kv.key.slice(this.prefix.length), record);
    }
    return { records, revision };
  }

  private startWatch(fromRevision: number): void {
    this.watcher = new PrefixWatcher(
      this.conn,
      this.prefix,
      fromRevision,
      {
        onEvents: (events) => this.onEvents(events),
        onProgress: (revision) => this.reached(revision),
        onCompacted: () => void this.resync(),
      },
      this.logger,
      { progressIntervalMs: 2000 },
    );
    this.watcher.start();
  }

  private onEvents(events: readonly WatchEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const revision = revisionOf(events[i]!);
      const changes: SecurityChange[] = [];
      for (; i < events.length && revisionOf(events[i]!) === revision; i++) {
        const event = events[i]!;
        const etcdKey = event.type === 'put' ? event.kv.key : event.key;
        const key = etcdKey.slice(this.prefix.length);
        const before = this.records.get(key) ?? null;
        const after = event.type === 'put' ? this.decode(etcdKey, event.kv.value) : null;
        if (before === null && after === null) continue;
        if (after === null) this.records.delete(key);
        else this.records.set(key, after);
        changes.push({ key, before, after });
      }
      this.revision = Math.max(this.revision, revision);
      if (changes.length > 0) this.notify(changes, revision);
      this.reached(revision);
    }
  }

  /** The watch cannot resume (etcd compacted its history): re-read and report the difference. */
  private async resync(): Promise<void> {
    if (this.closed) return;
    this.watcher = null;
    let snapshot: { records: Map<string, SecurityRecord>; revision: number };
    try {
      snapshot = await this.readAll();
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'security store: re-reading after a compaction failed; retrying');
      setTimeout(() => void this.resync(), 1000).unref();
      return;
    }
    if (this.closed) return;
    const changes: SecurityChange[] = [];
    for (const [key, before] of this.records) {
      const after = snapshot.records.get(key) ?? null;
      if (after === null) changes.push({ key, before, after: null });
    }
    for (const [key, after] of snapshot.records) {
      const before = this.records.get(key) ?? null;
      if (before === null || JSON.stringify(before) !== JSON.stringify(after)) changes.push({ key, before, after });
    }
    this.records.clear();
    for (const [k, r] of snapshot.records) this.records.set(k, r);
    this.revision = snapshot.revision;
    this.logger.warn({ revision: snapshot.revision, changed: changes.length }, 'security store: watch fell behind an etcd compaction; re-read the records');
    if (changes.length > 0) this.notify(changes, snapshot.revision);
    this.reached(snapshot.revision);
    this.startWatch(snapshot.revision + 1);
  }

  private async writeNow(mutations: readonly SecurityMutation[]): Promise<number> {
    if (this.closed || !this.loaded) throw storageError('the security store is not open');
    for (let attempt = 0; ; attempt++) {
      const keys = [...new Set(mutations.map((m) => (m.op === 'put' ? recordKey(m.record) : m.key)))];
      const read = await this.conn.txn([], keys.map((k) => ({ get: this.prefix + k })));
      const current = new Map<string, { modRevision: number; record: SecurityRecord | null }>();
      keys.forEach((k, i) => {
        const kv = read.reads[i]?.[0];
        current.set(k, { modRevision: kv?.modRevision ?? 0, record: kv === undefined ? null : this.decode(kv.key, kv.value) });
      });
      const staged = new Map<string, SecurityRecord | null>();
      const state = (key: string): SecurityRecord | null => (staged.has(key) ? staged.get(key)! : current.get(key)!.record);
      for (const m of mutations) {
        const key = m.op === 'put' ? recordKey(m.record) : m.key;
        const before = state(key);
        if (m.op === 'put') {
          if (m.ifAbsent && before !== null) throw new SecurityError('DUPLICATE_RESOURCE', `${key} already exists`, 'already-exists', { key });
          if (m.ifPresent && before === null) throw new SecurityError('RESOURCE_NOT_FOUND', `${key} does not exist`, 'not-found', { key });
          staged.set(key, m.record);
        } else {
          if (m.ifPresent && before === null) throw new SecurityError('RESOURCE_NOT_FOUND', `${key} does not exist`, 'not-found', { key });
          if (before !== null) staged.set(key, null);
        }
      }
      const ops = [...staged].filter(([key, after]) => after !== null || current.get(key)!.record !== null);
      if (ops.length === 0) return this.revision;
      const result = await this.conn.txn(
        ops.map(([key]) => ({ key: this.prefix + key, target: 'modRevision' as const, equals: current.get(key)!.modRevision })),
        ops.map(([key, after]) => (after === null ? { delete: this.prefix + key } : { put: this.prefix + key, value: JSON.stringify(after) })),
      );
      if (result.succeeded) {
        await this.applied(result.revision);
        return result.revision;
      }
      if (attempt >= this.maxConflictRetries) {
        throw storageError(`the security records ${keys.join(', ')} kept changing under this write (${attempt + 1} attempts)`);
      }
    }
  }

  /** Resolves once the watch has delivered `revision` (or after applyTimeoutMs, logged). */
  private applied(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.logger.warn({ revision, applied: this.revision }, 'security store: a committed write has not come back through the watch yet; other changes on this node may lag');
        waiter.resolve();
      }, this.applyTimeoutMs);
      this.waiters.add(waiter);
    });
  }

  private reached(revision: number): void {
    if (revision > this.revision) this.revision = revision;
    for (const waiter of [...this.waiters]) if (waiter.revision <= this.revision) waiter.resolve();
  }

  private notify(changes: readonly SecurityChange[], revision: number): void {
    for (const listener of this.listeners) {
      try {
        listener(changes, revision);
      } catch (err) {
        this.logger.error({ err }, 'security store: a change listener threw');
      }
    }
  }

  /** A value that is not a record is skipped (and logged), never acted on. */
  private decode(etcdKey: string, value: string): SecurityRecord | null {
    try {
      const record = JSON.parse(value) as SecurityRecord;
      if (typeof record === 'object' && record !== null && typeof record.type === 'string' && this.prefix + recordKey(record) === etcdKey) return record;
    } catch {
      // fall through
    }
    this.logger.error({ key: etcdKey }, 'security store: a value in etcd is not a security record of its key; ignored');
    return null;
  }
}

function revisionOf(event: WatchEvent): number {
  return event.type === 'put' ? event.kv.modRevision : event.modRevision;
}

function storageError(message: string): SecurityError {
  return new SecurityError('KAFKA_STORAGE_ERROR', `security store (etcd): ${message}`, 'store-error', {});
}
