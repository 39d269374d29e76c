/**
 * Kafka's ACL APIs over the security store, and the SASL APIs over KafkaSasl:
 *
 *   CreateAcls (30)    ALTER on the cluster; one result per creation, in order
 *   DescribeAcls (29)  DESCRIBE on the cluster; bindings grouped by resource pattern
 *   DeleteAcls (31)    ALTER on the cluster; per filter, the bindings it removed
 *   SaslHandshake (17), SaslAuthenticate (36): kafka-sasl.ts
 *
 * The same ACLs as the HTTP admin routes manage; a change applies to every later request at once.
 * Codes on the wire are Kafka's (acl-types.ts tables); an unknown code in a creation is
 * INVALID_REQUEST for that creation, in a filter for that filter. With security off the ACL APIs
 * answer SECURITY_DISABLED (Kafka's code when no authorizer is configured).
 */
import { KafkaApiKey, KafkaErrorCode, type CreateAclsRequest, type DeleteAclsRequest, type DescribeAclsRequest, type SaslAuthenticateRequest, type SaslHandshakeRequest } from '@spool/protocol';
import {
  CLUSTER_RESOURCE,
  OPERATION_BY_CODE,
  OPERATION_CODE,
  PATTERN_TYPE_BY_CODE,
  PATTERN_TYPE_CODE,
  parseAclBinding,
  parseAclBindingFilter,
  PERMISSION_TYPE_BY_CODE,
  PERMISSION_TYPE_CODE,
  RESOURCE_TYPE_BY_CODE,
  RESOURCE_TYPE_CODE,
  SecurityError,
  type AclBinding,
  type Identity,
} from '@spool/security';
import type { AccessControl } from '../../security/access-control.js';
import { kafkaErrorCodeOf } from '../kafka-error-code.js';
import type { KafkaApiHandler, KafkaRequestContext } from '../kafka-handler.js';
import type { KafkaSasl } from './kafka-sasl.js';

const SECURITY_DISABLED = 54;

function identityOf(ctx: KafkaRequestContext): Identity {
  if (ctx.identity === undefined) throw new Error('the router passes every request its identity');
  return ctx.identity;
}

function errorOf(err: unknown): { errorCode: number; errorMessage: string } {
  if (err instanceof SecurityError) return { errorCode: kafkaErrorCodeOf(err.code), errorMessage: err.message };
  throw err;
}

function bindingOf(c: { resourceType: number; resourceName: string; resourcePatternType?: number; patternType?: number; principal: string; host: string; operation: number; permissionType: number }): AclBinding {
  return parseAclBinding({
    pattern: { resourceType: RESOURCE_TYPE_BY_CODE.get(c.resourceType), name: c.resourceName, patternType: PATTERN_TYPE_BY_CODE.get(c.resourcePatternType ?? c.patternType ?? 3) },
    entry: { principal: c.principal, host: c.host, operation: OPERATION_BY_CODE.get(c.operation), permissionType: PERMISSION_TYPE_BY_CODE.get(c.permissionType) },
  });
}

function filterOf(f: DescribeAclsRequest | DeleteAclsRequest['filters'][number]) {
  return parseAclBindingFilter({
    pattern: { resourceType: RESOURCE_TYPE_BY_CODE.get(f.resourceTypeFilter), name: f.resourceNameFilter, patternType: PATTERN_TYPE_BY_CODE.get(f.patternTypeFilter) },
    entry: { principal: f.principalFilter, host: f.hostFilter, operation: OPERATION_BY_CODE.get(f.operation), permissionType: PERMISSION_TYPE_BY_CODE.get(f.permissionType) },
  });
}

function wire(binding: AclBinding) {
  return {
    resourceType: RESOURCE_TYPE_CODE[binding.pattern.resourceType],
    resourceName: binding.pattern.name,
    patternType: PATTERN_TYPE_CODE[binding.pattern.patternType],
    principal: binding.entry.principal,
    host: binding.entry.host,
    operation: OPERATION_CODE[binding.entry.operation],
    permissionType: PERMISSION_TYPE_CODE[binding.entry.permissionType],
  };
}

export function createSecurityHandlers(access: AccessControl, sasl: KafkaSasl): KafkaApiHandler[] {
  const denied = (identity: Identity, operation: 'ALTER' | 'DESCRIBE'): { errorCode: number; errorMessage: string } | null => {
    if (access.security === null) return { errorCode: SECURITY_DISABLED, errorMessage: 'security is off on this broker (SPOOL_AUTH=on enables it)' };
    return access.authorize(identity, operation, CLUSTER_RESOURCE) ? null : { errorCode: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `not authorized to ${operation} the cluster` };
  };
  return [
    {
      apiKey: KafkaApiKey.SaslHandshake,
      handle: (request: SaslHandshakeRequest, ctx) =>
        ctx.apiVersion === 0 ? { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] } : sasl.handshake(ctx.connection!, request),
    },
    {
      apiKey: KafkaApiKey.SaslAuthenticate,
      handle: (request: SaslAuthenticateRequest, ctx) => sasl.authenticate(ctx.connection!, request),
    },
    {
      apiKey: KafkaApiKey.CreateAcls,
      handle: async (request: CreateAclsRequest, ctx) => {
        const refusal = denied(identityOf(ctx), 'ALTER');
        if (refusal !== null) return { results: request.creations.map(() => refusal) };
        const parsed = request.creations.map((c) => {
          try {
            return bindingOf(c);
          } catch (err) {
            return errorOf(err);
          }
        });
        const valid = parsed.filter((p): p is AclBinding => 'pattern' in p);
        const created = await access.security!.admin.createAcls(valid);
        let next = 0;
        return {
          results: parsed.map((p) => {
            if (!('pattern' in p)) return p;
            const err = created[next++];
            return err === null ? { errorCode: 0, errorMessage: null } : errorOf(err);
          }),
        };
      },
    },
    {
      apiKey: KafkaApiKey.DescribeAcls,
      handle: (request: DescribeAclsRequest, ctx) => {
        const refusal = denied(identityOf(ctx), 'DESCRIBE');
        if (refusal !== null) return { ...refusal, resources: [] };
        let filter;
        try {
          filter = filterOf(request);
        } catch (err) {
          return { ...errorOf(err), resources: [] };
        }
        const byPattern = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: object[] }>();
        for (const binding of access.security!.admin.describeAcls(filter)) {
          const w = wire(binding);
          const key = `${w.resourceType}\u0000${w.patternType}\u0000${w.resourceName}`;
          let resource = byPattern.get(key);
          if (resource === undefined) byPattern.set(key, (resource = { resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.patternType, acls: [] }));
          resource.acls.push({ principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType });
        }
        return { errorCode: 0, errorMessage: null, resources: [...byPattern.values()] };
      },
    },
    {
      apiKey: KafkaApiKey.DeleteAcls,
      handle: async (request: DeleteAclsRequest, ctx) => {
        const refusal = denied(identityOf(ctx), 'ALTER');
        if (refusal !== null) return { filterResults: request.filters.map(() => ({ ...refusal, matchingAcls: [] })) };
        const parsed = request.filters.map((f) => {
          try {
            return filterOf(f);
          } catch (err) {
            return errorOf(err);
          }
        });
        const valid = parsed.filter((p): p is ReturnType<typeof filterOf> => 'pattern' in p);
        const removed = await access.security!.admin.deleteAcls(valid);
        let next = 0;
        return {
          filterResults: parsed.map((p) => {
            if (!('pattern' in p)) return { ...p, matchingAcls: [] };
            return { errorCode: 0, errorMessage: null, matchingAcls: removed[next++].map((b) => ({ errorCode: 0, errorMessage: null, ...wire(b) })) };
          }),
        };
      },
    },
  ];
}
