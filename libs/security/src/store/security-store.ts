/**
 * Where tenants, credentials, ACLs and quotas live, behind one interface so that a single node
 * keeps them in a local file (FileSecurityStore) and a cluster in etcd (the wiring step's adapter),
 * and every node applies every change (revocations, ACLs) from the change events.
 *
 * Contract for implementations:
 * - `load()` returns every live record and the revision it reflects; call once, then `subscribe`.
 * - `write(mutations)` applies all mutations atomically or none. When its promise resolves the
 *   write is durable (fsynced / committed) and every listener of this node has been called with
 *   the changes; other nodes see it through their own subscription (etcd watch) soon after.
 *   A `put` with `ifAbsent` fails with DUPLICATE_RESOURCE if the key exists; a `put` or `delete`
 *   with `ifPresent` fails with RESOURCE_NOT_FOUND if it does not (so an update never brings back
 *   a record deleted meanwhile): the whole write then fails.
 * - Listeners are called in revision order, synchronously, never concurrently; they must not
 *   throw (an exception is logged and swallowed) and must not write to the store.
 * - Writes may be called concurrently; the store serializes them.
 */
import type { SecurityRecord } from './security-records.js';

export type SecurityMutation =
  | { readonly op: 'put'; readonly record: SecurityRecord; readonly ifAbsent?: boolean; readonly ifPresent?: boolean }
  | { readonly op: 'delete'; readonly key: string; readonly ifPresent?: boolean };

export interface SecurityChange {
  readonly key: string;
  /** The record before the change, null if it did not exist. */
  readonly before: SecurityRecord | null;
  /** The record after the change, null for a delete. */
  readonly after: SecurityRecord | null;
}

export interface SecuritySnapshot {
  readonly revision: number;
  readonly records: ReadonlyMap<string, SecurityRecord>;
}

export type SecurityChangeListener = (changes: readonly SecurityChange[], revision: number) => void;

export interface SecurityStore {
  load(): Promise<SecuritySnapshot>;
  write(mutations: readonly SecurityMutation[]): Promise<number>;
  subscribe(listener: SecurityChangeListener): () => void;
  close(): Promise<void>;
}
