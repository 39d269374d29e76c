/**
 * Kafka's ACL model, verbatim: an AclBinding is a ResourcePattern (resource type, name, pattern
 * type) plus an AccessControlEntry (principal, host, operation, permission type). The numeric
 * codes are the int8 values CreateAcls/DescribeAcls/DeleteAcls carry on the wire (Kafka's
 * ResourceType, PatternType, AclOperation and AclPermissionType enums), so the Kafka face maps
 * with these tables and nothing else.
 *
 * Patterns in bindings are LITERAL (exact name, or `*` for every resource of the type) or
 * PREFIXED (every name starting with it). Filters (describe/delete) may also say ANY (any pattern
 * type, exact name) or MATCH (every binding that would apply to the named resource: literal equal,
 * literal `*`, or a prefix of it). In filters ANY is also the "any value" of type, operation and
 * permission, and a null name/principal/host matches everything.
 */

export const RESOURCE_TYPES = ['ANY', 'TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const;
export type ResourceTypeFilter = (typeof RESOURCE_TYPES)[number];
export type ResourceType = Exclude<ResourceTypeFilter, 'ANY'>;

export const PATTERN_TYPES = ['ANY', 'MATCH', 'LITERAL', 'PREFIXED'] as const;
export type PatternTypeFilter = (typeof PATTERN_TYPES)[number];
export type PatternType = Extract<PatternTypeFilter, 'LITERAL' | 'PREFIXED'>;

export const OPERATIONS = [
  'ANY', 'ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE',
] as const;
export type AclOperationFilter = (typeof OPERATIONS)[number];
export type AclOperation = Exclude<AclOperationFilter, 'ANY'>;
/** What a request asks to do: a real operation, never ALL or ANY. */
export type Operation = Exclude<AclOperation, 'ALL'>;

export const PERMISSION_TYPES = ['ANY', 'DENY', 'ALLOW'] as const;
export type PermissionTypeFilter = (typeof PERMISSION_TYPES)[number];
export type PermissionType = Exclude<PermissionTypeFilter, 'ANY'>;

/** Kafka's wire codes (int8). UNKNOWN (0) has no name here: decoding it is an error. */
export const RESOURCE_TYPE_CODE: Readonly<Record<ResourceTypeFilter, number>> = {
  ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5,
};
export const PATTERN_TYPE_CODE: Readonly<Record<PatternTypeFilter, number>> = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 };
export const OPERATION_CODE: Readonly<Record<AclOperationFilter, number>> = {
  ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12,
};
export const PERMISSION_TYPE_CODE: Readonly<Record<PermissionTypeFilter, number>> = { ANY: 1, DENY: 2, ALLOW: 3 };

function inverse<K extends string>(table: Readonly<Record<K, number>>): ReadonlyMap<number, K> {
  return new Map(Object.entries(table).map(([k, v]) => [v as number, k as K]));
}
export const RESOURCE_TYPE_BY_CODE = inverse(RESOURCE_TYPE_CODE);
export const PATTERN_TYPE_BY_CODE = inverse(PATTERN_TYPE_CODE);
export const OPERATION_BY_CODE = inverse(OPERATION_CODE);
export const PERMISSION_TYPE_BY_CODE = inverse(PERMISSION_TYPE_CODE);

/** Kafka's literal wildcard resource name: every resource of the type. */
export const WILDCARD_RESOURCE = '*';
/** Kafka's only cluster resource name. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** Kafka's wildcard host. */
export const WILDCARD_HOST = '*';

export interface ResourcePattern {
  readonly resourceType: ResourceType;
  readonly name: string;
  readonly patternType: PatternType;
}

export interface AccessControlEntry {
  /** `User:<name>` or the wildcard `User:*`. */
  readonly principal: string;
  /** A client address (`10.0.0.7`) or the wildcard `*`. */
  readonly host: string;
  readonly operation: AclOperation;
  readonly permissionType: PermissionType;
}

export interface AclBinding {
  readonly pattern: ResourcePattern;
  readonly entry: AccessControlEntry;
}

export interface ResourcePatternFilter {
  readonly resourceType: ResourceTypeFilter;
  /** null matches any name. */
  readonly name: string | null;
  readonly patternType: PatternTypeFilter;
}

export interface AccessControlEntryFilter {
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: AclOperationFilter;
  readonly permissionType: PermissionTypeFilter;
}

export interface AclBindingFilter {
  readonly pattern: ResourcePatternFilter;
  readonly entry: AccessControlEntryFilter;
}

/** The resource a request touches (always a concrete name, never a pattern). */
export interface Resource {
  readonly resourceType: ResourceType;
  readonly name: string;
}

export const topicResource = (name: string): Resource => ({ resourceType: 'TOPIC', name });
export const groupResource = (name: string): Resource => ({ resourceType: 'GROUP', name });
export const transactionalIdResource = (name: string): Resource => ({ resourceType: 'TRANSACTIONAL_ID', name });
export const CLUSTER_RESOURCE: Resource = { resourceType: 'CLUSTER', name: CLUSTER_RESOURCE_NAME };

/**
 * The operations each resource type supports (Kafka's AclEntry.supportedOperations); ALL is
 * accepted on every type. CreateAcls with another operation is refused.
 */
export const SUPPORTED_OPERATIONS: Readonly<Record<ResourceType, ReadonlySet<AclOperation>>> = {
  TOPIC: new Set<AclOperation>(['ALL', 'READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS']),
  GROUP: new Set<AclOperation>(['ALL', 'READ', 'DESCRIBE', 'DELETE']),
  CLUSTER: new Set<AclOperation>(['ALL', 'CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE']),
  TRANSACTIONAL_ID: new Set<AclOperation>(['ALL', 'DESCRIBE', 'WRITE']),
};

/**
 * The operations whose ALLOW also allows `operation` (Kafka's AclAuthorizer): READ, WRITE,
 * DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS. DENY never spreads
 * this way: a DENY READ does not deny DESCRIBE.
 */
export function allowingOperations(operation: Operation): readonly AclOperation[] {
  switch (operation) {
    case 'DESCRIBE':
      return ['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER', 'ALL'];
    case 'DESCRIBE_CONFIGS':
      return ['DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'ALL'];
    default:
      return [operation, 'ALL'];
  }
}
