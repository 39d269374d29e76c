/**
 * This node's in-memory view of the security store: every record, kept current from the store's
 * change events, with typed lookups for the authenticators, the authorizer and the quota manager.
 * Components that cache (API key verification, authorization decisions, quota limits) register
 * with `onChange` and drop what a change makes stale, so a revocation or an ACL change applies to
 * the next request on this node as soon as the event arrives (same process: before `write`
 * resolves; other nodes: when their store subscription delivers it).
 */
import type { AclBinding } from '../acl/acl-types.js';
import type { Authorizer } from '../acl/authorizer.js';
import type { TenantRecord } from '../tenant.js';
import {
  apiKeyKey,
  quotaKey,
  scramKey,
  tenantKey,
  type ApiKeyRecord,
  type QuotaEntity,
  type QuotaRecord,
  type ScramCredentialRecord,
  type ScramMechanism,
  type SecurityRecord,
} from './security-records.js';
import type { SecurityChange, SecurityStore } from './security-store.js';

export type CatalogListener = (change: SecurityChange) => void;

export class SecurityCatalog {
  private readonly records: Map<string, SecurityRecord>;
  private readonly listeners = new Set<CatalogListener>();
  private readonly unsubscribe: () => void;
  private revisionSeen: number;

  private constructor(
    readonly store: SecurityStore,
    records: ReadonlyMap<string, SecurityRecord>,
    revision: number,
  ) {
    this.records = new Map(records);
    this.revisionSeen = revision;
    this.unsubscribe = store.subscribe((changes, rev) => this.apply(changes, rev));
  }

  /** Loads the store (call once per store) and follows its changes. */
  static async open(store: SecurityStore): Promise<SecurityCatalog> {
    const snapshot = await store.load();
    return new SecurityCatalog(store, snapshot.records, snapshot.revision);
  }

  get revision(): number {
    return this.revisionSeen;
  }

  onChange(listener: CatalogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds `authorizer` every ACL now and every ACL change from here on. */
  bindAuthorizer(authorizer: Authorizer): () => void {
    authorizer.replaceAcls(this.acls());
    return this.onChange((change) => {
      if (change.before?.type === 'acl') authorizer.removeAcl(change.before.binding);
      if (change.after?.type === 'acl') authorizer.addAcl(change.after.binding);
    });
  }

  tenant(name: string): TenantRecord | undefined {
    const r = this.records.get(tenantKey(name));
    return r?.type === 'tenant' ? r.tenant : undefined;
  }

  apiKey(keyId: string): ApiKeyRecord | undefined {
    const r = this.records.get(apiKeyKey(keyId));
    return r?.type === 'api-key' ? r.apiKey : undefined;
  }

  scramCredential(mechanism: ScramMechanism, user: string): ScramCredentialRecord | undefined {
    const r = this.records.get(scramKey(mechanism, user));
    return r?.type === 'scram-credential' ? r.credential : undefined;
  }

  quota(entity: QuotaEntity): QuotaRecord | undefined {
    const r = this.records.get(quotaKey(entity));
    return r?.type === 'quota' ? r.quota : undefined;
  }

  tenants(): TenantRecord[] {
    return this.ofType('tenant', (r) => r.tenant);
  }

  apiKeys(): ApiKeyRecord[] {
    return this.ofType('api-key', (r) => r.apiKey);
  }

  scramCredentials(): ScramCredentialRecord[] {
    return this.ofType('scram-credential', (r) => r.credential);
  }

  acls(): AclBinding[] {
    return this.ofType('acl', (r) => r.binding);
  }

  quotas(): QuotaRecord[] {
    return this.ofType('quota', (r) => r.quota);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private ofType<T extends SecurityRecord['type'], R>(type: T, pick: (r: Extract<SecurityRecord, { type: T }>) => R): R[] {
    const out: R[] = [];
    for (const r of this.records.values()) if (r.type === type) out.push(pick(r as Extract<SecurityRecord, { type: T }>));
    return out;
  }

  private apply(changes: readonly SecurityChange[], revision: number): void {
    this.revisionSeen = revision;
    for (const change of changes) {
      if (change.after === null) this.records.delete(change.key);
      else this.records.set(change.key, change.after);
    }
    // One failing cache must not keep the others stale: each listener is isolated (the store
    // logs what escapes, but a swallowed failure here would leave a revoked key cached).
    let failure: unknown = null;
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (err) {
          failure ??= err;
        }
      }
    }
    if (failure !== null) throw failure;
  }
}
