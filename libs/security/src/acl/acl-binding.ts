/**
 * Checking and matching ACL bindings and filters, with Kafka's rules:
 *
 * - a binding to create (CreateAcls) names a concrete resource type (not ANY), a LITERAL or
 *   PREFIXED pattern with a non-empty name (CLUSTER's is always `kafka-cluster`), a concrete
 *   operation the resource type supports, ALLOW or DENY, a `User:` principal (or `User:*`) and a
 *   host (or `*`);
 * - a filter (DescribeAcls/DeleteAcls) may use ANY, MATCH, and null name/principal/host, and
 *   matches bindings as Kafka's ResourcePatternFilter/AccessControlEntryFilter do.
 *
 * `aclBindingKey` is a binding's identity: two bindings with the same fields are one ACL (Kafka
 * keeps a set), and the store keys ACL records by it.
 */
import { parseKafkaPrincipal } from '../principal.js';
import { SecurityError } from '../security.error.js';
import {
  CLUSTER_RESOURCE_NAME,
  OPERATIONS,
  PATTERN_TYPES,
  PERMISSION_TYPES,
  RESOURCE_TYPES,
  SUPPORTED_OPERATIONS,

  WILDCARD_RESOURCE,
  type AclBinding,
  type AclBindingFilter,
  type AclOperation,
  type AclOperationFilter,
  type PatternType,
  type PatternTypeFilter,
  type PermissionType,
  type PermissionTypeFilter,
  type ResourcePattern,
  type ResourceType,
  type ResourceTypeFilter,
} from './acl-types.js';

/** Longest resource name or host an ACL may carry (topic names stop at 249; hosts are addresses). */
export const MAX_ACL_NAME_LENGTH = 255;

function invalid(message: string): SecurityError {
  return new SecurityError('INVALID_REQUEST', message, 'invalid-acl');
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${what} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function boundedString(value: unknown, what: string, allowNull: boolean): string | null {
  if (value === null && allowNull) return null;
  if (typeof value !== 'string') throw invalid(`${what} must be a string${allowNull ? ' or null' : ''}`);
  if (value.length === 0) throw invalid(`${what} must not be empty`);
  if (value.length > MAX_ACL_NAME_LENGTH) throw invalid(`${what} is ${value.length} characters; the maximum is ${MAX_ACL_NAME_LENGTH}`);
  return value;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

/** Checks untrusted input (JSON from HTTP or the store) and returns it as a valid AclBinding. */
export function parseAclBinding(input: unknown): AclBinding {
  const root = record(input, 'ACL binding');
  const pattern = record(root.pattern, 'pattern');
  const entry = record(root.entry, 'entry');
  const binding: AclBinding = {
    pattern: {
      resourceType: oneOf(pattern.resourceType, RESOURCE_TYPES, 'resourceType') as ResourceType,
      name: boundedString(pattern.name, 'resource name', false) as string,
      patternType: oneOf(pattern.patternType, PATTERN_TYPES, 'patternType') as PatternType,
    },
    entry: {
      principal: boundedString(entry.principal, 'principal', false) as string,
      host: boundedString(entry.host, 'host', false) as string,
      operation: oneOf(entry.operation, OPERATIONS, 'operation') as AclOperation,
      permissionType: oneOf(entry.permissionType, PERMISSION_TYPES, 'permissionType') as PermissionType,
    },
  };
  validateAclBinding(binding);
  return binding;
}

/** Throws INVALID_REQUEST (or INVALID_PRINCIPAL_TYPE) naming the first rule `binding` breaks. */
export function validateAclBinding(binding: AclBinding): void {
  const { pattern, entry } = binding;
  if ((pattern.resourceType as ResourceTypeFilter) === 'ANY') throw invalid('resourceType ANY is only for filters');
  if (pattern.patternType !== 'LITERAL' && pattern.patternType !== 'PREFIXED') {
    throw invalid(`patternType ${pattern.patternType} is only for filters; a binding is LITERAL or PREFIXED`);
  }
  boundedString(pattern.name, 'resource name', false);
  if (pattern.resourceType === 'CLUSTER' && pattern.name !== CLUSTER_RESOURCE_NAME) {
    throw invalid(`the CLUSTER resource is named ${CLUSTER_RESOURCE_NAME}; got ${JSON.stringify(pattern.name)}`);
  }
  if (pattern.patternType === 'PREFIXED' && pattern.name === WILDCARD_RESOURCE) {
    throw invalid('a PREFIXED pattern cannot be "*"; use LITERAL "*" for every resource');
  }
  if ((entry.operation as AclOperationFilter) === 'ANY') throw invalid('operation ANY is only for filters');
  if (!SUPPORTED_OPERATIONS[pattern.resourceType].has(entry.operation)) {
    throw invalid(`operation ${entry.operation} is not supported on ${pattern.resourceType}; supported: ${[...SUPPORTED_OPERATIONS[pattern.resourceType]].join(', ')}`);
  }
  if ((entry.permissionType as PermissionTypeFilter) === 'ANY') throw invalid('permissionType ANY is only for filters');
  boundedString(entry.host, 'host', false);
  parseKafkaPrincipal(entry.principal, true);
}

/** Checks untrusted filter input; null name/principal/host mean "any". */
export function parseAclBindingFilter(input: unknown): AclBindingFilter {
  const root = record(input, 'ACL filter');
  const pattern = record(root.pattern ?? {}, 'pattern filter');
  const entry = record(root.entry ?? {}, 'entry filter');
  const principal = boundedString(entry.principal ?? null, 'principal filter', true);
  if (principal !== null) parseKafkaPrincipal(principal, true);
  return {
    pattern: {
      resourceType: oneOf(pattern.resourceType ?? 'ANY', RESOURCE_TYPES, 'resourceType filter'),
      name: boundedString(pattern.name ?? null, 'resource name filter', true),
      patternType: oneOf(pattern.patternType ?? 'ANY', PATTERN_TYPES, 'patternType filter'),
    },
    entry: {
      principal,
      host: boundedString(entry.host ?? null, 'host filter', true),
      operation: oneOf(entry.operation ?? 'ANY', OPERATIONS, 'operation filter'),
      permissionType: oneOf(entry.permissionType ?? 'ANY', PERMISSION_TYPES, 'permissionType filter'),
    },
  };
}

/** Kafka's ResourcePatternFilter.matches. */
export function patternFilterMatches(filter: AclBindingFilter['pattern'], pattern: ResourcePattern): boolean {
  if (filter.resourceType !== 'ANY' && filter.resourceType !== pattern.resourceType) return false;
  const filterType: PatternTypeFilter = filter.patternType;
  if (filterType !== 'ANY' && filterType !== 'MATCH' && filterType !== pattern.patternType) return false;
  if (filter.name === null) return true;
  if (filterType === 'ANY' || filterType === pattern.patternType) return filter.name === pattern.name;
  // MATCH: every pattern that applies to the resource named by the filter.
  return pattern.patternType === 'LITERAL'
    ? filter.name === pattern.name || pattern.name === WILDCARD_RESOURCE
    : filter.name.startsWith(pattern.name);
}

/** Kafka's AccessControlEntryFilter.matches. */
export function entryFilterMatches(filter: AclBindingFilter['entry'], entry: AclBinding['entry']): boolean {
  return (
    (filter.principal === null || filter.principal === entry.principal) &&
    (filter.host === null || filter.host === entry.host) &&
    (filter.operation === 'ANY' || filter.operation === entry.operation) &&
    (filter.permissionType === 'ANY' || filter.permissionType === entry.permissionType)
  );
}

export function aclFilterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  return patternFilterMatches(filter.pattern, binding.pattern) && entryFilterMatches(filter.entry, binding.entry);
}

/** The filter that matches exactly `binding` (DeleteAcls of one ACL). */
export function exactFilter(binding: AclBinding): AclBindingFilter {
  return { pattern: { ...binding.pattern }, entry: { ...binding.entry } };
}

/** A binding's identity: equal fields, equal key. JSON keeps any character in names unambiguous. */
export function aclBindingKey(binding: AclBinding): string {
  const { pattern: p, entry: e } = binding;
  return JSON.stringify([p.resourceType, p.patternType, p.name, e.principal, e.host, e.operation, e.permissionType]);
}

/** Kafka's kafka-acls.sh style, for logs and messages. */
export function formatAclBinding(binding: AclBinding): string {
  const { pattern: p, entry: e } = binding;
  return `(${p.resourceType}:${p.patternType}:${p.name}) ${e.permissionType} ${e.operation} for ${e.principal} from ${e.host}`;
}

