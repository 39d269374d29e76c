/**
 * The one authorization call of every face: `authorize(identity, operation, resource)`. The
 * rules, in order (the first that decides wins):
 *
 * 1. Tenant scope. A tenant principal is denied any TOPIC, GROUP or TRANSACTIONAL_ID outside its
 *    prefix, and any CLUSTER operation but DESCRIBE and IDEMPOTENT_WRITE, whatever the ACLs say.
 * 2. Super users (Kafka's super.users, e.g. `User:admin`) are allowed everything else.
 * 3. A DENY ACL that applies (principal or `User:*`, host or `*`, operation or ALL) denies.
 *    Deny wins over every allow, including a token's grants.
 * 4. An ALLOW ACL that applies allows, with Kafka's implied operations: an allowed READ, WRITE,
 *    DELETE or ALTER allows DESCRIBE; an allowed ALTER_CONFIGS allows DESCRIBE_CONFIGS.
 * 5. A grant carried by the credential (JWT permissions) allows, with the same implications.
 * 6. No ACL at all on the resource: allowed only if allowEveryoneIfNoAclFound (Kafka's
 *    allow.everyone.if.no.acl.found), false by default.
 * 7. Otherwise denied.
 *
 * Speed: steps 3-4 and 6 depend only on (principal, host, operation, resource), so their outcome
 * is cached per node in nested maps (no string building on a hit beyond principal+host) and the
 * whole cache is dropped on any ACL change; steps 1, 2 and 5 are cheap and run every time. The
 * cache is bounded (cleared when it reaches decisionCacheMaxEntries). Single-threaded: ACL
 * changes and checks interleave only between calls.
 */
import type { Logger } from '@spool/common';
import { silentLogger } from '@spool/common';
import type { Identity, TokenGrant } from '../principal.js';
import { redactingLogger } from '../redact.js';
import { SecurityError, type SecurityErrorCode } from '../security.error.js';
import { tenantOwns, tenantPrefix } from '../tenant.js';
import { AclIndex, entryApplies, type IndexedEntry } from './acl-index.js';
import {
  allowingOperations,
  OPERATION_CODE,
  RESOURCE_TYPE_CODE,
  WILDCARD_RESOURCE,
  type AclBinding,
  type AclBindingFilter,
  type AclOperation,
  type Operation,
  type Resource,
  type ResourceType,
} from './acl-types.js';

export interface AuthorizerOptions {
  /** Principals allowed everything outside tenant scope, e.g. ['User:admin']. */
  readonly superUsers?: readonly string[];
  /** Kafka's allow.everyone.if.no.acl.found; false by default (and it should stay so). */
  readonly allowEveryoneIfNoAclFound?: boolean;
  readonly decisionCacheMaxEntries?: number;
  /** Denials are logged at debug (a denied client retrying must not flood the log). */
  readonly logger?: Logger;
}

/** Cached ACL outcome for one (principal, host, operation, resource). */
const enum AclOutcome {
  NoAcls = 0,
  NotAllowed = 1,
  Denied = 2,
  Allowed = 3,
}

/** Operations a tenant principal may ever hold on the CLUSTER resource. */
const TENANT_CLUSTER_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>(['DESCRIBE', 'IDEMPOTENT_WRITE']);

const FAILURE_CODE: Readonly<Record<ResourceType, SecurityErrorCode>> = {
  TOPIC: 'TOPIC_AUTHORIZATION_FAILED',
  GROUP: 'GROUP_AUTHORIZATION_FAILED',
  CLUSTER: 'CLUSTER_AUTHORIZATION_FAILED',
  TRANSACTIONAL_ID: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
};

export class Authorizer {
  private readonly index = new AclIndex();
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowEveryoneIfNoAclFound: boolean;
  private readonly maxEntries: number;
  private readonly logger: Logger;
  /** principal+'\0'+host -> slot per (resourceType, operation) -> name -> outcome. */
  private cache = new Map<string, Array<Map<string, AclOutcome> | undefined>>();
  private cachedEntries = 0;

  constructor(options: AuthorizerOptions = {}) {
    this.superUsers = new Set(options.superUsers ?? []);
    this.allowEveryoneIfNoAclFound = options.allowEveryoneIfNoAclFound ?? false;
    this.maxEntries = options.decisionCacheMaxEntries ?? 100_000;
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'authorizer' });
  }

  // ---- ACL state (fed by SecurityCatalog from the store's change events) ----

  get aclCount(): number {
    return this.index.size;
  }

  /** Replaces every ACL (a snapshot load). */
  replaceAcls(bindings: Iterable<AclBinding>): void {
    this.index.clear();
    for (const binding of bindings) this.index.add(binding);
    this.invalidate();
  }

  addAcl(binding: AclBinding): void {
    if (this.index.add(binding)) this.invalidate();
  }

  removeAcl(binding: AclBinding): void {
    if (this.index.remove(binding)) this.invalidate();
  }

  /** DescribeAcls: the bindings matching `filter`. */
  acls(filter: AclBindingFilter): AclBinding[] {
    return this.index.matching(filter);
  }

  isSuperUser(identity: Identity): boolean {
    return this.superUsers.has(identity.principal);
  }

  // ---- decisions ----

  /** Whether `identity` may perform `operation` on `resource` (rules in the file comment). */
  authorize(identity: Identity, operation: Operation, resource: Resource): boolean {
    if (identity.tenant !== null && !this.inTenantScope(identity.tenant, operation, resource)) return false;
    if (this.superUsers.has(identity.principal)) return true;
    const outcome = this.aclOutcome(identity.principal, identity.clientHost, operation, resource);
    if (outcome === AclOutcome.Denied) return false;
    if (outcome === AclOutcome.Allowed) return true;
    if (identity.grants.length > 0 && grantsAllow(identity.grants, operation, resource)) return true;
    return outcome === AclOutcome.NoAcls && this.allowEveryoneIfNoAclFound;
  }

  /**
   * `authorize`, throwing the Kafka error for the resource type when denied
   * (TOPIC_AUTHORIZATION_FAILED, GROUP_..., CLUSTER_..., TRANSACTIONAL_ID_...).
   */
  check(identity: Identity, operation: Operation, resource: Resource): void {
    if (this.authorize(identity, operation, resource)) return;
    const outsideTenant = identity.tenant !== null && !this.inTenantScope(identity.tenant, operation, resource);
    this.logger.debug(
      { principal: identity.principal, host: identity.clientHost, operation, resourceType: resource.resourceType, resource: resource.name, outsideTenant },
      'authorization denied',
    );
    throw new SecurityError(
      FAILURE_CODE[resource.resourceType],
      `${identity.principal} is not authorized to ${operation} ${resource.resourceType} ${JSON.stringify(resource.name)}`,
      outsideTenant ? 'outside-tenant' : 'denied',
      { principal: identity.principal, operation, resourceType: resource.resourceType, resource: resource.name },
    );
  }

  /** The names `identity` may DESCRIBE (listings and Metadata hide the others). */
  filterDescribable(identity: Identity, resourceType: ResourceType, names: Iterable<string>): string[] {
    const out: string[] = [];
    for (const name of names) if (this.authorize(identity, 'DESCRIBE', { resourceType, name })) out.push(name);
    return out;
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: whether `identity` may perform `operation` on at
   * least one resource of the type (an ALLOW pattern not dominated by a DENY of the same or a
   * shorter prefix). Kafka uses it for InitProducerId (WRITE on any topic instead of
   * IDEMPOTENT_WRITE on the cluster). Implied operations do not count here, as in Kafka.
   */
  authorizeByResourceType(identity: Identity, operation: Operation, resourceType: ResourceType): boolean {
    const tenant = identity.tenant;
    if (tenant === null) {
      // Kafka checks a made-up name first so super users (and allow-everyone) pass despite DENYs.
      if (this.authorize(identity, operation, { resourceType, name: 'hardcode' })) return true;
    } else if (resourceType === 'CLUSTER') {
      return this.authorize(identity, operation, { resourceType, name: 'kafka-cluster' });
    }
    const allows: Array<{ literal: boolean; name: string }> = [];
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const consider = (literal: boolean, name: string, allow: boolean): boolean => {
      if (!allow) {
        if (literal && name === WILDCARD_RESOURCE) return true;
        (literal ? denyLiteral : denyPrefixed).add(name);
        return false;
      }
      const scoped = tenant === null ? { literal, name } : scopeToTenant(tenant, literal, name);
      if (scoped !== null) allows.push(scoped);
      return false;
    };
    for (const binding of this.index.bindingsOfType(resourceType)) {
      const e = binding.entry;
      if (!entryApplies(e, identity.principal, identity.clientHost)) continue;
      if (e.operation !== operation && e.operation !== 'ALL') continue;
      if (consider(binding.pattern.patternType === 'LITERAL', binding.pattern.name, e.permissionType === 'ALLOW')) return false;
    }
    for (const grant of identity.grants) {
      if (grant.resourceType === resourceType && grant.operation === operation) consider(grant.patternType === 'LITERAL', grant.name, true);
    }
    for (const allow of allows) {
      if (allow.literal && allow.name === WILDCARD_RESOURCE) return true;
      if (allow.literal && denyLiteral.has(allow.name)) continue;
      let dominated = false;
      for (let i = 1; i <= allow.name.length && !dominated; i++) dominated = denyPrefixed.has(allow.name.slice(0, i));
      if (!dominated) return true;
    }
    return false;
  }

  private inTenantScope(tenant: string, operation: Operation, resource: Resource): boolean {
    return resource.resourceType === 'CLUSTER' ? TENANT_CLUSTER_OPERATIONS.has(operation) : tenantOwns(tenant, resource.name);
  }

  private aclOutcome(principal: string, host: string, operation: Operation, resource: Resource): AclOutcome {
    const identityKey = principal + '\u0000' + host;
    let slots = this.cache.get(identityKey);
    if (slots === undefined) {
      slots = [];
      this.cache.set(identityKey, slots);
    }
    const slot = RESOURCE_TYPE_CODE[resource.resourceType] * 16 + OPERATION_CODE[operation];
    let byName = slots[slot];
    if (byName === undefined) {
      byName = new Map();
      slots[slot] = byName;
    }
    const cached = byName.get(resource.name);
    if (cached !== undefined) return cached;
    const outcome = this.evaluate(principal, host, operation, resource);
    if (this.cachedEntries >= this.maxEntries) this.invalidate();
    else {
      byName.set(resource.name, outcome);
      this.cachedEntries++;
    }
    return outcome;
  }

  private evaluate(principal: string, host: string, operation: Operation, resource: Resource): AclOutcome {
    const allowOps = allowingOperations(operation);
    let denied = false;
    let allowed = false;
    const lists = this.index.forEachApplying(resource.resourceType, resource.name, (entries: readonly IndexedEntry[]) => {
      for (const entry of entries) {
        if (!entryApplies(entry, principal, host)) continue;
        if (entry.permissionType === 'DENY') {
          if (entry.operation === operation || entry.operation === 'ALL') {
            denied = true;
            return true;
          }
        } else if (!allowed && allowOps.includes(entry.operation)) {
          allowed = true;
        }
      }
      return false;
    });
    if (denied) return AclOutcome.Denied;
    if (allowed) return AclOutcome.Allowed;
    return lists === 0 ? AclOutcome.NoAcls : AclOutcome.NotAllowed;
  }

  private invalidate(): void {
    this.cache = new Map();
    this.cachedEntries = 0;
  }
}

function grantsAllow(grants: readonly TokenGrant[], operation: Operation, resource: Resource): boolean {
  const allowOps: readonly AclOperation[] = allowingOperations(operation);
  for (const grant of grants) {
    if (grant.resourceType !== resource.resourceType || !allowOps.includes(grant.operation)) continue;
    if (grant.patternType === 'LITERAL' ? grant.name === resource.name : resource.name.startsWith(grant.name)) return true;
  }
  return false;
}

/** The part of an allowed pattern a tenant principal can use, or null if none. */
function scopeToTenant(tenant: string, literal: boolean, name: string): { literal: boolean; name: string } | null {
  const prefix = tenantPrefix(tenant);
  if (literal) {
    if (name === WILDCARD_RESOURCE) return { literal: false, name: prefix };
    return tenantOwns(tenant, name) ? { literal, name } : null;
  }
  if (name.startsWith(prefix)) return { literal, name };
  return prefix.startsWith(name) ? { literal: false, name: prefix } : null;
}
