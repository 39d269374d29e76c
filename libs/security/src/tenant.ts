/**
 * Tenants and the names they own. A tenant `acme` owns every topic, consumer group,
 * transactional id and principal whose name starts with `acme.` (its prefix), and nothing else:
 *
 * - a tenant principal may name (create) and see (list, describe) only resources under its prefix;
 *   the authorizer enforces this before any ACL, so no ACL (not even `User:*` on `*`) can open
 *   another tenant's names to it;
 * - ACLs naming a tenant principal may only cover that tenant's prefix (SecurityAdmin refuses
 *   others, and the literal wildcard `*`: use PREFIXED `acme.` to mean "all of acme's topics");
 * - names starting with `__` are the broker's internal topics and belong to no tenant.
 *
 * Tenant names: 1..48 characters, lowercase ASCII letters, digits and '-', starting with a letter.
 * No '.', so no tenant's prefix is a prefix of another's (`acme.` never covers `acme-eu.`), and
 * the owner of a name is simply the part before its first '.'.
 */
import { SecurityError } from './security.error.js';

export const MAX_TENANT_NAME_LENGTH = 48;
const TENANT_NAME = /^[a-z][a-z0-9-]*$/;

export interface TenantLimits {
  /** Most topics the tenant may have at once; null = unlimited. */
  readonly maxTopics: number | null;
  /** Most partitions over all its topics; null = unlimited. */
  readonly maxPartitions: number | null;
  /**
   * Most bytes its topics may hold on one broker (every replica there, as /usage's storedBytes):
   * produces to its topics are refused while they hold this much, until retention or a delete
   * frees space; null = unlimited. Absent in records written before it existed (read as null).
   */
  readonly maxRetainedBytes?: number | null;
}

/** Connection counts and byte/request rates are quotas (quota/), not tenant limits. */
export const UNLIMITED: TenantLimits = { maxTopics: null, maxPartitions: null, maxRetainedBytes: null };

export interface TenantRecord {
  readonly name: string;
  readonly createdAtMs: number;
  readonly limits: TenantLimits;
}

export function tenantNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the name is empty';
  if (name.length > MAX_TENANT_NAME_LENGTH) return `the name is ${name.length} characters long; the maximum is ${MAX_TENANT_NAME_LENGTH}`;
  if (!TENANT_NAME.test(name)) return 'use lowercase letters, digits and "-", starting with a letter';
  return null;
}

export function validateTenantName(name: string): string {
  const problem = tenantNameProblem(name);
  if (problem !== null) throw new SecurityError('INVALID_REQUEST', `invalid tenant name ${JSON.stringify(name)}: ${problem}`, 'invalid-tenant');
  return name;
}

export function tenantPrefix(tenant: string): string {
  return `${tenant}.`;
}

/** Whether `name` (topic, group, transactional id or principal name) belongs to `tenant`. */
export function tenantOwns(tenant: string, name: string): boolean {
  return name.length > tenant.length + 1 && name.charCodeAt(tenant.length) === 0x2e && name.startsWith(tenant);
}

/** The tenant whose prefix `name` carries (`acme.orders` -> `acme`), or null if none could own it. */
export function prefixTenantOf(name: string): string | null {
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return null;
  const candidate = name.slice(0, dot);
  return tenantNameProblem(candidate) === null ? candidate : null;
}

/**
 * Throws POLICY_VIOLATION unless `tenant` (null = operator, may name anything) may name a
 * resource `name` of the given kind. The faces call it before creating topics or joining groups,
 * so the client learns the rule, not just "denied".
 */
export function checkTenantMayName(tenant: string | null, kind: string, name: string): void {
  if (tenant === null || tenantOwns(tenant, name)) return;
  throw new SecurityError(
    'POLICY_VIOLATION',
    `tenant ${tenant} may only use ${kind} names starting with "${tenantPrefix(tenant)}"; got ${JSON.stringify(name)}`,
    'outside-tenant-prefix',
    { tenant, kind, name },
  );
}

/** Keeps the names a tenant may see (all of them for an operator); listings pass through this. */
export function visibleToTenant(tenant: string | null, names: Iterable<string>): string[] {
  const out: string[] = [];
  for (const name of names) if (tenant === null || tenantOwns(tenant, name)) out.push(name);
  return out;
}
