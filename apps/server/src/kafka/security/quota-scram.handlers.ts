/**
 * Kafka's client-quota and SCRAM-credential APIs over the security store (the same quotas and
 * SCRAM users as the HTTP admin routes; docs/security.md):
 *
 *   DescribeClientQuotas (48)          DESCRIBE_CONFIGS on the cluster
 *   AlterClientQuotas (49)             ALTER_CONFIGS on the cluster; per entity
 *   DescribeUserScramCredentials (50)  DESCRIBE on the cluster; per user (mechanism, iterations only)
 *   AlterUserScramCredentials (51)     ALTER on the cluster; per user (salt and SaltedPassword, as
 *                                      Kafka's clients send them: the broker never sees a password)
 *
 * Quota entities: Kafka's `user` (a principal name; null = the default for every user) and Spool's
 * `tenant` (a tenant name; null = every tenant's default), one component per entity. Kafka's
 * `client-id` and `ip` entities are not kept (Spool meters principals and tenants): INVALID_REQUEST
 * for that entity. Keys: producer_byte_rate, consumer_byte_rate, request_percentage, and Spool's
 * request_rate and max_connections. With security off the store does not exist: SECURITY_DISABLED.
 */
import {
  KafkaApiKey,
  KafkaErrorCode,
  type AlterClientQuotasRequest,
  type AlterUserScramCredentialsRequest,
  type DescribeClientQuotasRequest,
  type DescribeUserScramCredentialsRequest,
} from '@spool/protocol';
import { CLUSTER_RESOURCE, QUOTA_KEYS, SCRAM_MECHANISM_CODE, SecurityError, type Identity, type Operation, type QuotaEntity, type QuotaKey, type QuotaRecord, type ScramMechanism } from '@spool/security';
import type { AccessControl } from '../../security/access-control.js';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';

const SECURITY_DISABLED = KafkaErrorCode.SECURITY_DISABLED;
const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2;
const MECHANISM_BY_CODE = new Map<number, ScramMechanism>(Object.entries(SCRAM_MECHANISM_CODE).map(([m, c]) => [c, m as ScramMechanism]));

interface Refusal {
  errorCode: number;
  errorMessage: string;
}

function identityOf(ctx: KafkaRequestContext): Identity {
  if (ctx.identity === undefined) throw new Error('the router passes every request its identity');
  return ctx.identity;
}

function refusalOf(err: unknown): Refusal {
  if (err instanceof SecurityError) return { errorCode: kafkaErrorCodeOf(err.code), errorMessage: err.message };
  throw err;
}

/** Kafka's entity (components) -> one of Spool's quota entities, or the refusal. */
function entityOf(components: ReadonlyArray<{ entityType: string; entityName: string | null }>): QuotaEntity | Refusal {
  if (components.length !== 1) {
    return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: 'Spool keeps quotas per user or per tenant: an entity has exactly one component (user or tenant)' };
  }
  const { entityType, entityName } = components[0]!;
  if (entityType !== 'user' && entityType !== 'tenant') {
    return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `quota entity type ${JSON.stringify(entityType)} is not kept by Spool (user or tenant)` };
  }
  return { entityType, name: entityName };
}

function wireEntity(entity: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  return [{ entityType: entity.entityType, entityName: entity.name }];
}

function matches(record: QuotaRecord, components: DescribeClientQuotasRequest['components'], strict: boolean): boolean {
  if (strict && components.length !== 1) return false;
  return components.every((c) => {
    if (c.entityType !== record.entity.entityType) return false;
    if (c.matchType === MATCH_EXACT) return record.entity.name === c.match;
    if (c.matchType === MATCH_DEFAULT) return record.entity.name === null;
    return c.matchType === MATCH_ANY;
  });
}

export function createQuotaScramHandlers(access: AccessControl): KafkaApiHandler[] {
  const denied = (ctx: KafkaRequestContext, operation: Operation): Refusal | null => {
    if (access.security === null) return { errorCode: SECURITY_DISABLED, errorMessage: 'security is off on this broker (SPOOL_AUTH=on enables quotas and SCRAM users)' };
    return access.authorize(identityOf(ctx), operation, CLUSTER_RESOURCE) ? null : { errorCode: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `not authorized to ${operation} the cluster` };
  };
  return [
    {
      apiKey: KafkaApiKey.DescribeClientQuotas,
      handle: (request: DescribeClientQuotasRequest, ctx) => {
        const refusal = denied(ctx, 'DESCRIBE_CONFIGS');
        if (refusal !== null) return { throttleTimeMs: 0, ...refusal, entries: null };
        for (const c of request.components) {
          if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY) {
            return { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `unknown match type ${c.matchType}`, entries: null };
          }
          if (c.matchType === MATCH_EXACT && c.match === null) {
            return { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: 'an exact match needs a name', entries: null };
          }
        }
        const entries = access.security!.admin
          .describeQuotas()
          .filter((q) => matches(q, request.components, request.strict))
          .map((q) => ({ entity: wireEntity(q.entity), values: Object.entries(q.values).map(([key, value]) => ({ key, value })) }));
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries };
      },
    },
    {
      apiKey: KafkaApiKey.AlterClientQuotas,
      handle: async (request: AlterClientQuotasRequest, ctx) => {
        const refusal = denied(ctx, 'ALTER_CONFIGS');
        if (refusal !== null) return { throttleTimeMs: 0, entries: request.entries.map((e) => ({ ...refusal, entity: e.entity })) };
        const entries = [];
        for (const e of request.entries) {
          const entity = entityOf(e.entity);
          if ('errorCode' in entity) {
            entries.push({ ...entity, entity: e.entity });
            continue;
          }
          const set: Partial<Record<QuotaKey, number>> = {};
          const remove: QuotaKey[] = [];
          let bad: Refusal | null = null;
          for (const op of e.ops) {
            if (!(QUOTA_KEYS as readonly string[]).includes(op.key)) {
              bad = { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `unknown quota ${op.key}; known: ${QUOTA_KEYS.join(', ')}` };
              break;
            }
            if (op.remove) remove.push(op.key as QuotaKey);
            else set[op.key as QuotaKey] = op.value;
          }
          if (bad === null) {
            try {
              await access.security!.admin.alterQuota(entity, set, remove, { validateOnly: request.validateOnly });
            } catch (err) {
              bad = refusalOf(err);
            }
          }
          entries.push({ ...(bad ?? { errorCode: 0, errorMessage: null }), entity: e.entity });
        }
        return { throttleTimeMs: 0, entries };
      },
    },
    {
      apiKey: KafkaApiKey.DescribeUserScramCredentials,
      handle: (request: DescribeUserScramCredentialsRequest, ctx) => {
        const refusal = denied(ctx, 'DESCRIBE');
        if (refusal !== null) return { throttleTimeMs: 0, ...refusal, results: [] };
        const all = access.security!.admin.describeScramCredentials();
        const infosOf = (user: string) => all.filter((c) => c.user === user).map((c) => ({ mechanism: SCRAM_MECHANISM_CODE[c.mechanism], iterations: c.iterations }));
        const asked = request.users === null || request.users.length === 0 ? null : request.users.map((u) => u.name);
        if (asked === null) {
          const users = [...new Set(all.map((c) => c.user))].sort();
          return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: users.map((user) => ({ user, errorCode: 0, errorMessage: null, credentialInfos: infosOf(user) })) };
        }
        const results = [...new Set(asked)].map((user) => {
          if (asked.filter((u) => u === user).length > 1) return { user, errorCode: KafkaErrorCode.DUPLICATE_RESOURCE, errorMessage: `user ${user} is named more than once`, credentialInfos: [] };
          const credentialInfos = infosOf(user);
          if (credentialInfos.length === 0) return { user, errorCode: KafkaErrorCode.RESOURCE_NOT_FOUND, errorMessage: `user ${user} has no SCRAM credential`, credentialInfos: [] };
          return { user, errorCode: 0, errorMessage: null, credentialInfos };
        });
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
      },
    },
    {
      apiKey: KafkaApiKey.AlterUserScramCredentials,
      handle: async (request: AlterUserScramCredentialsRequest, ctx) => {
        const users = [...new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)])];
        const refusal = denied(ctx, 'ALTER');
        if (refusal !== null) return { throttleTimeMs: 0, results: users.map((user) => ({ user, ...refusal })) };
        const admin = access.security!.admin;
        const results = [];
        // Per user, as Kafka: every alteration of the user is checked first; any problem refuses them all.
        for (const user of users) {
          const deletions = request.deletions.filter((d) => d.name === user);
          const upsertions = request.upsertions.filter((u) => u.name === user);
          const mechanisms = [...deletions, ...upsertions].map((a) => a.mechanism);
          let problem: Refusal | null = null;
          if (user === '') problem = { errorCode: KafkaErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'the user name is empty' };
          else if (mechanisms.some((m) => !MECHANISM_BY_CODE.has(m))) problem = { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'unknown SCRAM mechanism (1: SCRAM-SHA-256, 2: SCRAM-SHA-512)' };
          else if (new Set(mechanisms).size !== mechanisms.length) problem = { errorCode: KafkaErrorCode.DUPLICATE_RESOURCE, errorMessage: `more than one alteration of one mechanism of user ${user}` };
          else {
            for (const d of deletions) {
              if (admin.describeScramCredentials([user]).every((c) => c.mechanism !== MECHANISM_BY_CODE.get(d.mechanism))) {
                problem = { errorCode: KafkaErrorCode.RESOURCE_NOT_FOUND, errorMessage: `user ${user} has no ${MECHANISM_BY_CODE.get(d.mechanism)} credential to delete` };
              }
            }
          }
          if (problem === null) {
            try {
              for (const u of upsertions) {
                await admin.upsertScramCredentialSalted({ user, mechanism: MECHANISM_BY_CODE.get(u.mechanism)!, salt: u.salt, saltedPassword: u.saltedPassword, iterations: u.iterations });
              }
              for (const d of deletions) await admin.deleteScramCredential(user, MECHANISM_BY_CODE.get(d.mechanism)!);
            } catch (err) {
              problem = refusalOf(err);
              // Iterations, salt or salted password out of bounds: Kafka's code for a credential it will not take.
              if (err instanceof SecurityError && /^invalid-(iterations|salt|salted-password)$/.test(err.reason)) problem.errorCode = KafkaErrorCode.UNACCEPTABLE_CREDENTIAL;
            }
          }
          results.push({ user, ...(problem ?? { errorCode: 0, errorMessage: null }) });
        }
        return { throttleTimeMs: 0, results };
      },
    },
  ];
}
