/**
 * The management operations behind the admin routes and Kafka's CreateAcls/DescribeAcls/
 * DeleteAcls, AlterUserScramCredentials/DescribeUserScramCredentials and AlterClientQuotas/
 * DescribeClientQuotas. It validates, applies the tenant rules, and writes to the store; the
 * change events then reach every cache on every node. It does not authorize the caller: the face
 * checks that first (Kafka: ALTER / DESCRIBE on CLUSTER; a tenant admin passes `actingTenant`, which
 * confines what it may touch to its tenant).
 *
 * Tenant rules enforced here (tenant.ts states them):
 * - a principal whose name carries a registered tenant's prefix belongs to that tenant; one that
 *   carries none is an operator principal; a tenant cannot be created while operator credentials
 *   or ACL principals already use its prefix;
 * - an ACL for a tenant principal may only cover that tenant's names (no `*`, no other prefix, on
 *   CLUSTER only DESCRIBE and IDEMPOTENT_WRITE); `User:*` ACLs are for operators only.
 *
 * Every change is logged at info (an audit trail), through the redacting logger.
 */
import type { Clock, Logger } from '@spool/common';
import { silentLogger, systemClock } from '@spool/common';
import { aclFilterMatches, formatAclBinding, validateAclBinding } from '../acl/acl-binding.js';
import type { AclBinding, AclBindingFilter } from '../acl/acl-types.js';
import { WILDCARD_RESOURCE } from '../acl/acl-types.js';
import { generateApiKey, parseApiKey } from '../api-key/api-key-format.js';
import { DEFAULT_SCRYPT_PARAMS, hashSecret, verifySecret, type ScryptParams } from '../api-key/secret-hash.js';
import { formatPrincipal, parseKafkaPrincipal, validatePrincipalName, WILDCARD_PRINCIPAL } from '../principal.js';
import { redactingLogger } from '../redact.js';
import { createScramCredential, scramCredentialFromSaltedPassword } from '../sasl/scram-credential.js';
import { isSecurityError, SecurityError } from '../security.error.js';
import type { SecurityCatalog } from '../store/security-catalog.js';
import {
  aclKey,
  apiKeyKey,
  QUOTA_KEYS,
  quotaKey,
  scramKey,
  tenantKey,
  type ApiKeyRecord,
  type QuotaEntity,
  type QuotaKey,
  type QuotaRecord,
  type ScramMechanism,
} from '../store/security-records.js';
import type { SecurityMutation } from '../store/security-store.js';
import { prefixTenantOf, tenantOwns, tenantPrefix, UNLIMITED, validateTenantName, type TenantLimits, type TenantRecord } from '../tenant.js';

export type ApiKeyInfo = Omit<ApiKeyRecord, 'secretHash'>;

export interface CreatedApiKey {
  /** The full key, `spk_<keyId>_<secret>`: returned once, never stored, never logged. */
  readonly apiKey: string;
  readonly info: ApiKeyInfo;
}

export interface SecurityAdminOptions {
  readonly clock?: Clock;
  readonly scryptParams?: ScryptParams;
  readonly logger?: Logger;
  /**
   * Principal names no stored credential may be made for: the inter-broker principal, whose only
   * credential is the brokers' own (SPOOL_INTER_BROKER_*), so no API key or SCRAM user can pose
   * as a broker.
   */
  readonly reservedPrincipalNames?: readonly string[];
}

function policy(message: string, reason: string): SecurityError {
  return new SecurityError('POLICY_VIOLATION', message, reason);
}

export class SecurityAdmin {
  private readonly clock: Clock;
  private readonly scryptParams: ScryptParams;
  private readonly logger: Logger;
  private readonly reserved: ReadonlySet<string>;

  constructor(
    private readonly catalog: SecurityCatalog,
    options: SecurityAdminOptions = {},
  ) {
    this.reserved = new Set(options.reservedPrincipalNames ?? []);
    this.clock = options.clock ?? systemClock;
    this.scryptParams = options.scryptParams ?? DEFAULT_SCRYPT_PARAMS;
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'security-admin' });
  }

  /** A principal name a credential may be stored for (validated, and not reserved for the brokers). */
  private credentialName(name: string): string {
    const valid = validatePrincipalName(name);
    if (this.reserved.has(valid)) {
      throw policy(`User:${valid} is the inter-broker principal: its credential comes from the brokers' configuration, not the store`, 'reserved-principal');
    }
    return valid;
  }

  /** The tenant a principal name belongs to: the registered tenant whose prefix it carries, or null. */
  tenantOfPrincipalName(name: string): string | null {
    const candidate = prefixTenantOf(name);
    return candidate !== null && this.catalog.tenant(candidate) !== undefined ? candidate : null;
  }

  // ---- tenants ----

  async createTenant(name: string, limits: Partial<TenantLimits> = {}): Promise<TenantRecord> {
    validateTenantName(name);
    const prefix = tenantPrefix(name);
    const squatter =
      this.catalog.apiKeys().find((k) => k.principal.startsWith(`User:${prefix}`))?.principal ??
      this.catalog.scramCredentials().find((c) => c.user.startsWith(prefix))?.user ??
      this.catalog.acls().find((a) => a.entry.principal.startsWith(`User:${prefix}`))?.entry.principal;
    if (squatter !== undefined) {
      throw policy(`cannot create tenant ${name}: operator principal ${squatter} already uses the prefix "${prefix}"`, 'prefix-in-use');
    }
    const tenant: TenantRecord = { name, createdAtMs: this.clock.now(), limits: checkLimits({ ...UNLIMITED, ...limits }) };
    await this.catalog.store.write([{ op: 'put', record: { type: 'tenant', tenant }, ifAbsent: true }]);
    this.logger.info({ tenant: name, limits: tenant.limits }, 'tenant created');
    return tenant;
  }

  /**
   * Changes the limits given (a key left out or undefined keeps its value; null removes the limit).
   * Every check reads the limits from the catalog, so the change applies to the next topic
   * creation or produce on every node once its store has delivered it (at once on this one).
   * The write is conditional on the tenant still existing, so a concurrent delete is not undone;
   * two concurrent updates of different limits can still lose one (last write wins).
   */
  async updateTenantLimits(name: string, limits: Partial<TenantLimits>): Promise<TenantRecord> {
    const current = this.requireTenant(name);
    const given = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Partial<TenantLimits>;
    const tenant: TenantRecord = { ...current, limits: checkLimits({ ...UNLIMITED, ...current.limits, ...given }) };
    await this.catalog.store.write([{ op: 'put', record: { type: 'tenant', tenant }, ifPresent: true }]);
    this.logger.info({ tenant: name, limits: tenant.limits }, 'tenant limits changed');
    return tenant;
  }

  /** Deletes the tenant and, in the same write, every key, SCRAM credential, ACL and quota of it. */
  async deleteTenant(name: string): Promise<void> {
    this.requireTenant(name);
    const mine = (principal: string) => principal.startsWith(`User:${tenantPrefix(name)}`);
    const mutations: SecurityMutation[] = [{ op: 'delete', key: tenantKey(name), ifPresent: true }];
    for (const k of this.catalog.apiKeys()) if (k.tenant === name) mutations.push({ op: 'delete', key: apiKeyKey(k.keyId) });
    for (const c of this.catalog.scramCredentials()) if (c.tenant === name) mutations.push({ op: 'delete', key: scramKey(c.mechanism, c.user) });
    for (const a of this.catalog.acls()) if (mine(a.entry.principal)) mutations.push({ op: 'delete', key: aclKey(a) });
    for (const q of this.catalog.quotas()) {
      const e = q.entity;
      if ((e.entityType === 'tenant' && e.name === name) || (e.entityType === 'user' && e.name !== null && tenantOwns(name, e.name))) {
        mutations.push({ op: 'delete', key: quotaKey(e) });
      }
    }
    await this.catalog.store.write(mutations);
    this.logger.info({ tenant: name, removedRecords: mutations.length - 1 }, 'tenant deleted');
  }

  listTenants(): TenantRecord[] {
    return this.catalog.tenants();
  }

  // ---- API keys ----

  async createApiKey(args: { principalName: string; expiresAtMs?: number | null; description?: string }): Promise<CreatedApiKey> {
    const name = this.credentialName(args.principalName);
    const expiresAtMs = args.expiresAtMs ?? null;
    if (expiresAtMs !== null && (!Number.isSafeInteger(expiresAtMs) || expiresAtMs <= this.clock.now())) {
      throw new SecurityError('INVALID_REQUEST', 'expiresAtMs must be a future time in ms since the epoch', 'invalid-expiry');
    }
    const description = args.description ?? '';
    if (typeof description !== 'string' || description.length > 256) throw new SecurityError('INVALID_REQUEST', 'description must be at most 256 characters', 'invalid-description');
    const generated = generateApiKey();
    const record: ApiKeyRecord = {
      keyId: generated.keyId,
      principal: formatPrincipal(name),
      tenant: this.tenantOfPrincipalName(name),
      secretHash: await hashSecret(generated.secret, this.scryptParams),
      createdAtMs: this.clock.now(),
      expiresAtMs,
      revokedAtMs: null,
      description,
    };
    await this.catalog.store.write([{ op: 'put', record: { type: 'api-key', apiKey: record }, ifAbsent: true }]);
    this.logger.info({ keyId: record.keyId, principal: record.principal, tenant: record.tenant, expiresAtMs }, 'API key created');
    return { apiKey: generated.apiKey, info: infoOf(record) };
  }

  /**
   * Stores a key the operator made (the bootstrap admin key from SPOOL_ADMIN_API_KEY): nothing is
   * written when a live key of that id already verifies with that secret, so a restart with the
   * same key costs one hash; a changed secret (or a revoked key) replaces the record, which is how
   * an operator rotates it. Returns whether it wrote.
   */
  async importApiKey(args: { apiKey: string; principalName: string; description?: string }): Promise<boolean> {
    const parsed = parseApiKey(args.apiKey);
    if (parsed === null) throw new SecurityError('INVALID_REQUEST', 'not an API key of the form spk_<keyId>_<secret>', 'malformed');
    const name = this.credentialName(args.principalName);
    const current = this.catalog.apiKey(parsed.keyId);
    if (current !== undefined && current.revokedAtMs === null && current.principal === formatPrincipal(name) && (await verifySecret(parsed.secret, current.secretHash))) return false;
    const record: ApiKeyRecord = {
      keyId: parsed.keyId,
      principal: formatPrincipal(name),
      tenant: this.tenantOfPrincipalName(name),
      secretHash: await hashSecret(parsed.secret, this.scryptParams),
      createdAtMs: this.clock.now(),
      expiresAtMs: null,
      revokedAtMs: null,
      description: args.description ?? '',
    };
    await this.catalog.store.write([{ op: 'put', record: { type: 'api-key', apiKey: record } }]);
    this.logger.info({ keyId: record.keyId, principal: record.principal, replaced: current !== undefined }, 'API key imported');
    return true;
  }

  /** Revokes a key (kept, marked revoked, so lists show it and its id is never reused). */
  async revokeApiKey(keyId: string): Promise<ApiKeyInfo> {
    const current = this.catalog.apiKey(keyId);
    if (current === undefined) throw new SecurityError('RESOURCE_NOT_FOUND', `API key ${keyId} does not exist`, 'not-found');
    if (current.revokedAtMs !== null) return infoOf(current);
    const record: ApiKeyRecord = { ...current, revokedAtMs: this.clock.now() };
    await this.catalog.store.write([{ op: 'put', record: { type: 'api-key', apiKey: record } }]);
    this.logger.info({ keyId, principal: record.principal }, 'API key revoked');
    return infoOf(record);
  }

  async deleteApiKey(keyId: string): Promise<void> {
    await this.catalog.store.write([{ op: 'delete', key: apiKeyKey(keyId), ifPresent: true }]);
    this.logger.info({ keyId }, 'API key deleted');
  }

  listApiKeys(filter: { tenant?: string | null } = {}): ApiKeyInfo[] {
    return this.catalog
      .apiKeys()
      .filter((k) => filter.tenant === undefined || k.tenant === filter.tenant)
      .map(infoOf);
  }

  // ---- SCRAM credentials ----

  async upsertScramCredential(args: { user: string; mechanism: ScramMechanism; password: string; iterations?: number }): Promise<void> {
    const user = this.credentialName(args.user);
    const credential = await createScramCredential({ ...args, user, tenant: this.tenantOfPrincipalName(user) });
    await this.catalog.store.write([{ op: 'put', record: { type: 'scram-credential', credential } }]);
    this.logger.info({ user, mechanism: args.mechanism, iterations: credential.iterations }, 'SCRAM credential set');
  }

  /** AlterUserScramCredentials' upsertion: the client sends salt and SaltedPassword, never the password. */
  async upsertScramCredentialSalted(args: { user: string; mechanism: ScramMechanism; salt: Buffer; saltedPassword: Buffer; iterations: number }): Promise<void> {
    const user = this.credentialName(args.user);
    const credential = scramCredentialFromSaltedPassword({ ...args, user, tenant: this.tenantOfPrincipalName(user) });
    await this.catalog.store.write([{ op: 'put', record: { type: 'scram-credential', credential } }]);
    this.logger.info({ user, mechanism: args.mechanism, iterations: args.iterations }, 'SCRAM credential set');
  }

  async deleteScramCredential(user: string, mechanism: ScramMechanism): Promise<void> {
    await this.catalog.store.write([{ op: 'delete', key: scramKey(mechanism, user), ifPresent: true }]);
    this.logger.info({ user, mechanism }, 'SCRAM credential deleted');
  }

  describeScramCredentials(users?: readonly string[]): Array<{ user: string; mechanism: ScramMechanism; iterations: number }> {
    return this.catalog
      .scramCredentials()
      .filter((c) => users === undefined || users.includes(c.user))
      .map((c) => ({ user: c.user, mechanism: c.mechanism, iterations: c.iterations }));
  }

  // ---- ACLs ----

  /** CreateAcls: one result per binding, null when created (or already present), else its error. */
  async createAcls(bindings: readonly AclBinding[], options: { actingTenant?: string | null } = {}): Promise<Array<SecurityError | null>> {
    const results: Array<SecurityError | null> = [];
    const mutations: SecurityMutation[] = [];
    for (const binding of bindings) {
      try {
        validateAclBinding(binding);
        this.checkAclTenantScope(binding, options.actingTenant ?? null);
        mutations.push({ op: 'put', record: { type: 'acl', binding } });
        results.push(null);
      } catch (err) {
        if (!isSecurityError(err)) throw err;
        results.push(err);
      }
    }
    if (mutations.length > 0) await this.catalog.store.write(mutations);
    bindings.forEach((b, i) => results[i] === null && this.logger.info({ acl: formatAclBinding(b) }, 'ACL created'));
    return results;
  }

  /** DeleteAcls: per filter, the bindings it removed. A tenant admin only sees and removes its own. */
  async deleteAcls(filters: readonly AclBindingFilter[], options: { actingTenant?: string | null } = {}): Promise<AclBinding[][]> {
    const all = this.visibleAcls(options.actingTenant ?? null);
    const matched = filters.map((f) => all.filter((b) => aclFilterMatches(f, b)));
    const keys = new Set(matched.flat().map(aclKey));
    if (keys.size > 0) await this.catalog.store.write([...keys].map((key) => ({ op: 'delete' as const, key })));
    for (const b of new Map(matched.flat().map((b) => [aclKey(b), b])).values()) this.logger.info({ acl: formatAclBinding(b) }, 'ACL deleted');
    return matched;
  }

  describeAcls(filter: AclBindingFilter, options: { actingTenant?: string | null } = {}): AclBinding[] {
    return this.visibleAcls(options.actingTenant ?? null).filter((b) => aclFilterMatches(filter, b));
  }

  // ---- quotas ----

  /**
   * AlterClientQuotas for one entity: set some keys, remove others; an entity left empty is deleted.
   * `validateOnly` checks everything and returns what would be stored, writing nothing.
   */
  async alterQuota(entity: QuotaEntity, set: Partial<Record<QuotaKey, number>>, remove: readonly QuotaKey[] = [], options: { validateOnly?: boolean } = {}): Promise<QuotaRecord | null> {
    if (entity.name !== null) {
      if (entity.entityType === 'tenant') validateTenantName(entity.name);
      else validatePrincipalName(entity.name);
    }
    const values: Partial<Record<QuotaKey, number>> = { ...(this.catalog.quota(entity)?.values ?? {}) };
    for (const [key, value] of Object.entries(set) as Array<[QuotaKey, number]>) {
      if (!QUOTA_KEYS.includes(key)) throw new SecurityError('INVALID_REQUEST', `unknown quota ${key}; known: ${QUOTA_KEYS.join(', ')}`, 'invalid-quota');
      const integral = key === 'max_connections';
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integral && !Number.isSafeInteger(value)) || (!integral && value === 0)) {
        throw new SecurityError('INVALID_REQUEST', `quota ${key} must be a ${integral ? 'non-negative integer' : 'positive number'}; got ${value}`, 'invalid-quota');
      }
      values[key] = value;
    }
    for (const key of remove) {
      if (!QUOTA_KEYS.includes(key)) throw new SecurityError('INVALID_REQUEST', `unknown quota ${key}; known: ${QUOTA_KEYS.join(', ')}`, 'invalid-quota');
      delete values[key];
    }
    if (options.validateOnly) return Object.keys(values).length === 0 ? null : { entity, values };
    if (Object.keys(values).length === 0) {
      await this.catalog.store.write([{ op: 'delete', key: quotaKey(entity) }]);
      this.logger.info({ entity }, 'quota removed');
      return null;
    }
    const quota: QuotaRecord = { entity, values };
    await this.catalog.store.write([{ op: 'put', record: { type: 'quota', quota } }]);
    this.logger.info({ entity, values }, 'quota set');
    return quota;
  }

  describeQuotas(): QuotaRecord[] {
    return this.catalog.quotas();
  }

  // ---- internals ----

  private requireTenant(name: string): TenantRecord {
    const tenant = this.catalog.tenant(name);
    if (tenant === undefined) throw new SecurityError('RESOURCE_NOT_FOUND', `tenant ${name} does not exist`, 'not-found');
    return tenant;
  }

  private visibleAcls(actingTenant: string | null): AclBinding[] {
    const all = this.catalog.acls();
    if (actingTenant === null) return all;
    return all.filter((b) => b.entry.principal !== WILDCARD_PRINCIPAL && tenantOwns(actingTenant, parseKafkaPrincipal(b.entry.principal).name));
  }

  private checkAclTenantScope(binding: AclBinding, actingTenant: string | null): void {
    const principal = parseKafkaPrincipal(binding.entry.principal, true);
    const wildcard = principal.name === '*';
    const principalTenant = wildcard ? null : this.tenantOfPrincipalName(principal.name);
    if (actingTenant !== null && (wildcard || principalTenant !== actingTenant)) {
      throw policy(`tenant ${actingTenant} may only grant ACLs to its own principals (User:${tenantPrefix(actingTenant)}...)`, 'outside-tenant-prefix');
    }
    if (principalTenant === null) return;
    const { pattern, entry } = binding;
    const prefix = tenantPrefix(principalTenant);
    if (pattern.resourceType === 'CLUSTER') {
      if (entry.operation !== 'DESCRIBE' && entry.operation !== 'IDEMPOTENT_WRITE') {
        throw policy(`a tenant principal may hold only DESCRIBE or IDEMPOTENT_WRITE on the cluster, not ${entry.operation}`, 'tenant-cluster-operation');
      }
      return;
    }
    if (pattern.patternType === 'LITERAL' && pattern.name === WILDCARD_RESOURCE) {
      throw policy(`an ACL for tenant ${principalTenant}'s principal cannot name "*"; use PREFIXED "${prefix}"`, 'outside-tenant-prefix');
    }
    const inside = pattern.patternType === 'PREFIXED' ? pattern.name.startsWith(prefix) : tenantOwns(principalTenant, pattern.name);
    if (!inside) {
      throw policy(`an ACL for tenant ${principalTenant}'s principal may only cover names starting with "${prefix}"; got ${pattern.patternType} ${JSON.stringify(pattern.name)}`, 'outside-tenant-prefix');
    }
  }
}

function infoOf(record: ApiKeyRecord): ApiKeyInfo {
  // Spread without the hash: a listing never carries it.
  const { secretHash: _secretHash, ...info } = record;
  return info;
}

function checkLimits(limits: TenantLimits): TenantLimits {
  for (const [key, value] of Object.entries(limits)) {
    if (value !== null && (!Number.isSafeInteger(value) || value < 0)) {
      throw new SecurityError('INVALID_REQUEST', `tenant limit ${key} must be a non-negative integer or null; got ${value}`, 'invalid-limit');
    }
  }
  return { maxTopics: limits.maxTopics, maxPartitions: limits.maxPartitions, maxRetainedBytes: limits.maxRetainedBytes ?? null };
}
