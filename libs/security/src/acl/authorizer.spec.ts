import fc from 'fast-check';
import type { Identity, TokenGrant } from '../principal.js';
import { isSecurityError } from '../security.error.js';
import { parseAclBindingFilter, aclFilterMatches } from './acl-binding.js';
import {
  allowingOperations,
  CLUSTER_RESOURCE,
  type AclBinding,
  type AclOperation,
  type Operation,
  type PatternType,
  type PermissionType,
  type ResourceType,
} from './acl-types.js';
import { Authorizer } from './authorizer.js';

function identity(principal: string, tenant: string | null = null, host = '127.0.0.1', grants: TokenGrant[] = []): Identity {
  return {
    principal,
    principalName: principal.slice(5),
    tenant,
    credentialKind: 'api-key',
    credentialId: 'k',
    expiresAtMs: null,
    grants,
    clientHost: host,
  };
}

function acl(
  resourceType: ResourceType,
  patternType: PatternType,
  name: string,
  principal: string,
  operation: AclOperation,
  permissionType: PermissionType = 'ALLOW',
  host = '*',
): AclBinding {
  return { pattern: { resourceType, patternType, name }, entry: { principal, host, operation, permissionType } };
}

const topic = (name: string) => ({ resourceType: 'TOPIC' as const, name });
const group = (name: string) => ({ resourceType: 'GROUP' as const, name });
const alice = identity('User:alice');

describe('Authorizer (Kafka AclAuthorizer rules)', () => {
  it('denies by default: allow.everyone.if.no.acl.found is false', () => {
    expect(new Authorizer().authorize(alice, 'READ', topic('orders'))).toBe(false);
  });

  it('allows everyone on resources without ACLs only when configured, and not once any ACL names the resource', () => {
    const authorizer = new Authorizer({ allowEveryoneIfNoAclFound: true });
    expect(authorizer.authorize(alice, 'READ', topic('orders'))).toBe(true);
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 'orders', 'User:bob', 'READ'));
    expect(authorizer.authorize(alice, 'READ', topic('orders'))).toBe(false);
    expect(authorizer.authorize(alice, 'READ', topic('payments'))).toBe(true);
  });

  it('deny wins over allow, and a change applies to the next call (the decision cache is dropped)', () => {
    const authorizer = new Authorizer();
    authorizer.addAcl(acl('TOPIC', 'PREFIXED', 'ord', 'User:alice', 'ALL'));
    expect(authorizer.authorize(alice, 'WRITE', topic('orders'))).toBe(true);
    const deny = acl('TOPIC', 'LITERAL', 'orders', 'User:*', 'WRITE', 'DENY');
    authorizer.addAcl(deny);
    expect(authorizer.authorize(alice, 'WRITE', topic('orders'))).toBe(false);
    expect(authorizer.authorize(alice, 'READ', topic('orders'))).toBe(true);
    authorizer.removeAcl(deny);
    expect(authorizer.authorize(alice, 'WRITE', topic('orders'))).toBe(true);
  });

  it('READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; nothing else is implied', () => {
    for (const op of ['READ', 'WRITE', 'DELETE', 'ALTER'] as const) {
      const authorizer = new Authorizer();
      authorizer.addAcl(acl('TOPIC', 'LITERAL', 't', 'User:alice', op));
      expect(authorizer.authorize(alice, 'DESCRIBE', topic('t'))).toBe(true);
      expect(authorizer.authorize(alice, 'DESCRIBE_CONFIGS', topic('t'))).toBe(false);
    }
    const authorizer = new Authorizer();
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 't', 'User:alice', 'ALTER_CONFIGS'));
    expect(authorizer.authorize(alice, 'DESCRIBE_CONFIGS', topic('t'))).toBe(true);
    expect(authorizer.authorize(alice, 'DESCRIBE', topic('t'))).toBe(false);
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 't', 'User:alice', 'WRITE'));
    expect(authorizer.authorize(alice, 'READ', topic('t'))).toBe(false);
  });

  it('a DENY does not spread through implications: DENY READ leaves DESCRIBE allowed by ALLOW ALL', () => {
    const authorizer = new Authorizer();
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 't', 'User:alice', 'ALL'));
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 't', 'User:alice', 'READ', 'DENY'));
    expect(authorizer.authorize(alice, 'READ', topic('t'))).toBe(false);
    expect(authorizer.authorize(alice, 'DESCRIBE', topic('t'))).toBe(true);
    authorizer.addAcl(acl('TOPIC', 'PREFIXED', 't', 'User:alice', 'ALL', 'DENY'));
    expect(authorizer.authorize(alice, 'DESCRIBE', topic('t'))).toBe(false);
  });

  it('matches hosts exactly or by the wildcard, principals exactly or by User:*', () => {
    const authorizer = new Authorizer();
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 't', 'User:alice', 'READ', 'ALLOW', '10.0.0.1'));
    expect(authorizer.authorize(alice, 'READ', topic('t'))).toBe(false);
    expect(authorizer.authorize(identity('User:alice', null, '10.0.0.1'), 'READ', topic('t'))).toBe(true);
    authorizer.addAcl(acl('TOPIC', 'LITERAL', '*', 'User:*', 'READ'));
    expect(authorizer.authorize(identity('User:zed'), 'READ', topic('anything'))).toBe(true);
    expect(authorizer.authorize(identity('User:zed'), 'WRITE', topic('anything'))).toBe(false);
  });

  it('super users pass every check, even a DENY', () => {
    const authorizer = new Authorizer({ superUsers: ['User:admin'] });
    authorizer.addAcl(acl('TOPIC', 'LITERAL', '*', 'User:*', 'ALL', 'DENY'));
    expect(authorizer.authorize(identity('User:admin'), 'DELETE', topic('x'))).toBe(true);
    expect(authorizer.authorize(identity('User:admin'), 'ALTER', CLUSTER_RESOURCE)).toBe(true);
    expect(authorizer.authorize(alice, 'DESCRIBE', topic('x'))).toBe(false);
  });

  it('keeps a tenant principal inside its prefix whatever the ACLs or super user list say', () => {
    const authorizer = new Authorizer({ superUsers: ['User:acme.root'], allowEveryoneIfNoAclFound: true });
    authorizer.addAcl(acl('TOPIC', 'LITERAL', '*', 'User:*', 'ALL'));
    authorizer.addAcl(acl('GROUP', 'PREFIXED', 'a', 'User:*', 'ALL'));
    authorizer.addAcl(acl('CLUSTER', 'LITERAL', 'kafka-cluster', 'User:*', 'ALL'));
    const acme = identity('User:acme.app', 'acme');
    expect(authorizer.authorize(acme, 'WRITE', topic('acme.orders'))).toBe(true);
    expect(authorizer.authorize(acme, 'WRITE', topic('beta.orders'))).toBe(false);
    expect(authorizer.authorize(acme, 'READ', topic('acme'))).toBe(false);
    expect(authorizer.authorize(acme, 'READ', topic('__consumer_offsets'))).toBe(false);
    expect(authorizer.authorize(acme, 'READ', group('acme.g'))).toBe(true);
    expect(authorizer.authorize(acme, 'READ', group('acmex.g'))).toBe(false);
    expect(authorizer.authorize(acme, 'IDEMPOTENT_WRITE', CLUSTER_RESOURCE)).toBe(true);
    expect(authorizer.authorize(acme, 'ALTER', CLUSTER_RESOURCE)).toBe(false);
    expect(authorizer.authorize(acme, 'CREATE', CLUSTER_RESOURCE)).toBe(false);
    const root = identity('User:acme.root', 'acme');
    expect(authorizer.authorize(root, 'DELETE', topic('beta.x'))).toBe(false);
    expect(authorizer.authorize(root, 'DELETE', topic('acme.x'))).toBe(true);
  });

  it('adds a token grant as an ALLOW for that identity only, still beaten by a DENY', () => {
    const authorizer = new Authorizer();
    const grants: TokenGrant[] = [{ resourceType: 'TOPIC', patternType: 'PREFIXED', name: 'acme.events.', operation: 'READ' }];
    const browser = identity('User:acme.u1', 'acme', '127.0.0.1', grants);
    expect(authorizer.authorize(browser, 'READ', topic('acme.events.clicks'))).toBe(true);
    expect(authorizer.authorize(browser, 'DESCRIBE', topic('acme.events.clicks'))).toBe(true);
    expect(authorizer.authorize(browser, 'WRITE', topic('acme.events.clicks'))).toBe(false);
    expect(authorizer.authorize(identity('User:acme.u1', 'acme'), 'READ', topic('acme.events.clicks'))).toBe(false);
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 'acme.events.clicks', 'User:acme.u1', 'READ', 'DENY'));
    expect(authorizer.authorize(browser, 'READ', topic('acme.events.clicks'))).toBe(false);
  });

  it('check() throws the Kafka error of the resource type with a stable reason', () => {
    const authorizer = new Authorizer();
    const codes: Array<[ResourceType, string]> = [
      ['TOPIC', 'TOPIC_AUTHORIZATION_FAILED'],
      ['GROUP', 'GROUP_AUTHORIZATION_FAILED'],
      ['CLUSTER', 'CLUSTER_AUTHORIZATION_FAILED'],
      ['TRANSACTIONAL_ID', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
    ];
    for (const [resourceType, code] of codes) {
      const name = resourceType === 'CLUSTER' ? 'kafka-cluster' : 'x';
      let caught: unknown;
      try {
        authorizer.check(alice, 'DESCRIBE', { resourceType, name });
      } catch (err) {
        caught = err;
      }
      expect(isSecurityError(caught) && caught.code).toBe(code);
      expect(isSecurityError(caught) && caught.reason).toBe('denied');
    }
    expect(() => authorizer.check(identity('User:acme.a', 'acme'), 'READ', topic('beta.x'))).toThrow(
      expect.objectContaining({ code: 'TOPIC_AUTHORIZATION_FAILED', reason: 'outside-tenant' }),
    );
  });

  it('filterDescribable hides what a principal cannot describe', () => {
    const authorizer = new Authorizer();
    authorizer.addAcl(acl('TOPIC', 'PREFIXED', 'acme.', 'User:acme.a', 'READ'));
    authorizer.addAcl(acl('TOPIC', 'LITERAL', 'public', 'User:*', 'DESCRIBE'));
    const names = ['acme.x', 'beta.y', 'public', 'acme.z'];
    expect(authorizer.filterDescribable(identity('User:acme.a', 'acme'), 'TOPIC', names)).toEqual(['acme.x', 'acme.z']);
    expect(authorizer.filterDescribable(alice, 'TOPIC', names)).toEqual(['public']);
  });

  describe('authorizeByResourceType (Kafka semantics)', () => {
    it('allows with an allow pattern not dominated by a deny', () => {
      const authorizer = new Authorizer();
      expect(authorizer.authorizeByResourceType(alice, 'WRITE', 'TOPIC')).toBe(false);
      authorizer.addAcl(acl('TOPIC', 'LITERAL', 'orders', 'User:alice', 'WRITE'));
      expect(authorizer.authorizeByResourceType(alice, 'WRITE', 'TOPIC')).toBe(true);
      authorizer.addAcl(acl('TOPIC', 'PREFIXED', 'ord', 'User:alice', 'WRITE', 'DENY'));
      expect(authorizer.authorizeByResourceType(alice, 'WRITE', 'TOPIC')).toBe(false);
      authorizer.addAcl(acl('TOPIC', 'PREFIXED', 'pay', 'User:*', 'ALL'));
      expect(authorizer.authorizeByResourceType(alice, 'WRITE', 'TOPIC')).toBe(true);
      authorizer.addAcl(acl('TOPIC', 'LITERAL', '*', 'User:alice', 'WRITE', 'DENY'));
      expect(authorizer.authorizeByResourceType(alice, 'WRITE', 'TOPIC')).toBe(false);
    });

    it('lets super users through and counts only a tenant principal\'s own prefix', () => {
      const authorizer = new Authorizer({ superUsers: ['User:admin'] });
      expect(authorizer.authorizeByResourceType(identity('User:admin'), 'WRITE', 'TOPIC')).toBe(true);
      authorizer.addAcl(acl('TOPIC', 'LITERAL', 'beta.orders', 'User:*', 'WRITE'));
      const acme = identity('User:acme.a', 'acme');
      expect(authorizer.authorizeByResourceType(acme, 'WRITE', 'TOPIC')).toBe(false);
      authorizer.addAcl(acl('TOPIC', 'PREFIXED', 'acme.', 'User:acme.a', 'WRITE'));
      expect(authorizer.authorizeByResourceType(acme, 'WRITE', 'TOPIC')).toBe(true);
      authorizer.addAcl(acl('TOPIC', 'PREFIXED', 'acme', 'User:acme.a', 'WRITE', 'DENY'));
      expect(authorizer.authorizeByResourceType(acme, 'WRITE', 'TOPIC')).toBe(false);
    });
  });

  describe('matches a direct reading of the rules (model-based, random ACL sets, cache on)', () => {
    const names = ['a', 'ab', 'abc', 'b', 'acme.x', 'acme.xy', 'beta.x', '*'];
    const principals = ['User:alice', 'User:acme.a', 'User:*'];
    const ops: AclOperation[] = ['ALL', 'READ', 'WRITE', 'DESCRIBE', 'DELETE', 'ALTER', 'ALTER_CONFIGS', 'DESCRIBE_CONFIGS'];
    const arbAcl = fc.record({
      type: fc.constantFrom<ResourceType>('TOPIC', 'GROUP'),
      patternType: fc.constantFrom<PatternType>('LITERAL', 'PREFIXED'),
      name: fc.constantFrom(...names),
      principal: fc.constantFrom(...principals),
      op: fc.constantFrom(...ops),
      perm: fc.constantFrom<PermissionType>('ALLOW', 'DENY'),
      host: fc.constantFrom('*', '127.0.0.1', '10.0.0.9'),
    }).filter((a) => !(a.patternType === 'PREFIXED' && a.name === '*'))
      .map((a) => acl(a.type, a.patternType, a.name, a.principal, a.op, a.perm, a.host));
    const arbStep = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), acl: arbAcl }),
      fc.record({ kind: fc.constant('remove' as const), index: fc.nat() }),
      fc.constant({ kind: 'check' as const }),
    );
    const whos: Array<readonly [string, string | null]> = [['User:alice', null], ['User:acme.a', 'acme'], ['User:bob', null]];
    const checkOps: Operation[] = ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'];
    const checkNames = ['a', 'ab', 'abd', 'b', 'acme.x', 'acme.xy', 'beta.x'];

    function reference(acls: AclBinding[], allowEveryone: boolean, who: readonly [string, string | null], op: Operation, type: ResourceType, name: string, host: string): boolean {
      const [principal, tenant] = who;
      if (tenant !== null && !name.startsWith(`${tenant}.`)) return false;
      const applying = acls.filter((b) => b.pattern.resourceType === type && (b.pattern.patternType === 'LITERAL' ? b.pattern.name === name || b.pattern.name === '*' : name.startsWith(b.pattern.name)));
      const matches = (b: AclBinding) => (b.entry.principal === principal || b.entry.principal === 'User:*') && (b.entry.host === host || b.entry.host === '*');
      if (applying.some((b) => matches(b) && b.entry.permissionType === 'DENY' && (b.entry.operation === op || b.entry.operation === 'ALL'))) return false;
      if (applying.some((b) => matches(b) && b.entry.permissionType === 'ALLOW' && allowingOperations(op).includes(b.entry.operation))) return true;
      return allowEveryone && applying.length === 0;
    }

    it('for every sequence of adds, removes and checks', () => {
      fc.assert(
        fc.property(fc.array(arbStep, { maxLength: 40 }), fc.boolean(), (steps, allowEveryone) => {
          const authorizer = new Authorizer({ allowEveryoneIfNoAclFound: allowEveryone, decisionCacheMaxEntries: 500 });
          let current: AclBinding[] = [];
          const key = (b: AclBinding) => JSON.stringify(b);
          for (const step of steps) {
            if (step.kind === 'add') {
              authorizer.addAcl(step.acl);
              if (!current.some((b) => key(b) === key(step.acl))) current.push(step.acl);
            } else if (step.kind === 'remove') {
              if (current.length === 0) continue;
              const victim = current[step.index % current.length];
              authorizer.removeAcl(victim);
              current = current.filter((b) => key(b) !== key(victim));
            } else {
              for (const who of whos) for (const op of checkOps) for (const type of ['TOPIC', 'GROUP'] as const)
                for (const name of checkNames) for (const host of ['127.0.0.1', '10.0.0.9']) {
                  const expected = reference(current, allowEveryone, who, op, type, name, host);
                  const actual = authorizer.authorize(identity(who[0], who[1], host), op, { resourceType: type, name });
                  if (actual !== expected) throw new Error(`${who[0]} ${op} ${type}:${name} from ${host}: expected ${expected}, got ${actual}`);
                }
            }
          }
          expect(authorizer.aclCount).toBe(current.length);
        }),
        { numRuns: 150 },
      );
    });
  });
});

describe('ACL filters (DescribeAcls / DeleteAcls)', () => {
  const bindings = [
    acl('TOPIC', 'LITERAL', 'orders', 'User:alice', 'READ'),
    acl('TOPIC', 'LITERAL', '*', 'User:bob', 'READ'),
    acl('TOPIC', 'PREFIXED', 'ord', 'User:alice', 'WRITE', 'DENY'),
    acl('GROUP', 'LITERAL', 'orders', 'User:alice', 'READ'),
  ];
  const select = (input: unknown) => {
    const filter = parseAclBindingFilter(input);
    return bindings.filter((b) => aclFilterMatches(filter, b)).map((b) => `${b.pattern.resourceType}:${b.pattern.patternType}:${b.pattern.name}`);
  };

  it('MATCH finds the literal, the wildcard and the prefixes that apply to a name', () => {
    expect(select({ pattern: { resourceType: 'TOPIC', name: 'orders', patternType: 'MATCH' } })).toEqual([
      'TOPIC:LITERAL:orders', 'TOPIC:LITERAL:*', 'TOPIC:PREFIXED:ord',
    ]);
  });

  it('ANY matches the exact name in any pattern type; LITERAL/PREFIXED match their own type', () => {
    expect(select({ pattern: { resourceType: 'ANY', name: 'orders', patternType: 'ANY' } })).toEqual(['TOPIC:LITERAL:orders', 'GROUP:LITERAL:orders']);
    expect(select({ pattern: { resourceType: 'TOPIC', name: 'ord', patternType: 'PREFIXED' } })).toEqual(['TOPIC:PREFIXED:ord']);
    expect(select({ pattern: { resourceType: 'TOPIC', name: null, patternType: 'LITERAL' } })).toEqual(['TOPIC:LITERAL:orders', 'TOPIC:LITERAL:*']);
  });

  it('filters entries by principal, host, operation and permission', () => {
    expect(select({ entry: { principal: 'User:alice', permissionType: 'DENY' } })).toEqual(['TOPIC:PREFIXED:ord']);
    expect(select({ entry: { operation: 'READ' } })).toHaveLength(3);
    expect(select({})).toHaveLength(4);
  });

  it('rejects unknown enum values with a message naming the field', () => {
    expect(() => parseAclBindingFilter({ pattern: { resourceType: 'BROKER' } })).toThrow(/resourceType filter must be one of/);
    expect(() => parseAclBindingFilter({ entry: { principal: 'Group:x' } })).toThrow(/principal type "Group" is not supported/);
  });
});
