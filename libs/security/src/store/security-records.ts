/**
 * What the security store keeps: one keyed record per tenant, API key, SCRAM credential, ACL
 * binding and quota entity, like the records of a compacted topic (the last record of a key wins;
 * a delete is a tombstone). Keys:
 *
 *   tenant/<name>                     TenantRecord
 *   api-key/<keyId>                   ApiKeyRecord (a salted scrypt hash, never the secret)
 *   scram/<mechanism>/<user>          ScramCredentialRecord (Kafka's: salt, storedKey, serverKey, iterations)
 *   acl/<aclBindingKey>               AclBinding (its key is its content: ACLs are a set)
 *   quota/<tenant|user>/<name|"">     QuotaRecord ("" = the default for that entity type)
 *
 * Binary values (salt, keys) are base64 strings so a record is plain JSON on every backend.
 */
import { aclBindingKey } from '../acl/acl-binding.js';
import type { AclBinding } from '../acl/acl-types.js';
import type { TenantRecord } from '../tenant.js';

export interface ApiKeyRecord {
  readonly keyId: string;
  /** `User:<name>`. */
  readonly principal: string;
  readonly tenant: string | null;
  /** `scrypt$ln=..,r=..,p=..$<salt>$<hash>` (secret-hash.ts). */
  readonly secretHash: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number | null;
  readonly revokedAtMs: number | null;
  /** Free text for the operator ("ingest service, prod"); never a secret. */
  readonly description: string;
}

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's SCRAM credential (ScramCredential / UserScramCredentialRecord), base64 fields. */
export interface ScramCredentialRecord {
  /** The SASL user name, which is the principal name (`acme.alice` -> `User:acme.alice`). */
  readonly user: string;
  readonly mechanism: ScramMechanism;
  readonly tenant: string | null;
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
  readonly iterations: number;
}

/** Kafka's client quota keys, plus Spool's request_rate and max_connections. */
export type QuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage' | 'request_rate' | 'max_connections';
export const QUOTA_KEYS: readonly QuotaKey[] = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'request_rate', 'max_connections'];

export interface QuotaEntity {
  /** `user` is Kafka's entity type (the principal name); `tenant` is Spool's. */
  readonly entityType: 'tenant' | 'user';
  /** The tenant or principal name; null = the default for every tenant/user without its own. */
  readonly name: string | null;
}

export interface QuotaRecord {
  readonly entity: QuotaEntity;
  readonly values: Readonly<Partial<Record<QuotaKey, number>>>;
}

export type SecurityRecord =
  | { readonly type: 'tenant'; readonly tenant: TenantRecord }
  | { readonly type: 'api-key'; readonly apiKey: ApiKeyRecord }
  | { readonly type: 'scram-credential'; readonly credential: ScramCredentialRecord }
  | { readonly type: 'acl'; readonly binding: AclBinding }
  | { readonly type: 'quota'; readonly quota: QuotaRecord };

export function tenantKey(name: string): string {
  return `tenant/${name}`;
}
export function apiKeyKey(keyId: string): string {
  return `api-key/${keyId}`;
}
export function scramKey(mechanism: ScramMechanism, user: string): string {
  return `scram/${mechanism}/${user}`;
}
export function aclKey(binding: AclBinding): string {
  return `acl/${aclBindingKey(binding)}`;
}
export function quotaKey(entity: QuotaEntity): string {
  return `quota/${entity.entityType}/${entity.name ?? ''}`;
}

export function recordKey(record: SecurityRecord): string {
  switch (record.type) {
    case 'tenant':
      return tenantKey(record.tenant.name);
    case 'api-key':
      return apiKeyKey(record.apiKey.keyId);
    case 'scram-credential':
      return scramKey(record.credential.mechanism, record.credential.user);
    case 'acl':
      return aclKey(record.binding);
    case 'quota':
      return quotaKey(record.quota.entity);
  }
}
