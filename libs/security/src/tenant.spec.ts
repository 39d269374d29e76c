import { anonymousIdentity, formatPrincipal, parseKafkaPrincipal, principalNameProblem } from './principal.js';
import { checkTenantMayName, prefixTenantOf, tenantNameProblem, tenantOwns, visibleToTenant } from './tenant.js';

describe('tenants and their prefixes', () => {
  it('a tenant owns exactly the names after its prefix', () => {
    expect(tenantOwns('acme', 'acme.orders')).toBe(true);
    expect(tenantOwns('acme', 'acme.')).toBe(false);
    expect(tenantOwns('acme', 'acme')).toBe(false);
    expect(tenantOwns('acme', 'acmex.orders')).toBe(false);
    expect(tenantOwns('acme', 'acme-eu.orders')).toBe(false);
    expect(tenantOwns('acme', '__consumer_offsets')).toBe(false);
    expect(prefixTenantOf('acme.orders.v2')).toBe('acme');
    expect(prefixTenantOf('__consumer_offsets')).toBeNull();
    expect(prefixTenantOf('Orders.v2')).toBeNull();
  });

  it('tenant names are short lowercase words without dots, so no prefix covers another', () => {
    expect(tenantNameProblem('acme-eu')).toBeNull();
    expect(tenantNameProblem('acme.eu')).not.toBeNull();
    expect(tenantNameProblem('Acme')).not.toBeNull();
    expect(tenantNameProblem('1acme')).not.toBeNull();
    expect(tenantNameProblem('a'.repeat(49))).toMatch(/maximum is 48/);
  });

  it('checkTenantMayName explains the rule; operators may name anything', () => {
    expect(() => checkTenantMayName('acme', 'topic', 'beta.x')).toThrow(
      expect.objectContaining({ code: 'POLICY_VIOLATION', message: 'tenant acme may only use topic names starting with "acme."; got "beta.x"' }),
    );
    expect(() => checkTenantMayName(null, 'topic', 'beta.x')).not.toThrow();
    expect(visibleToTenant('acme', ['acme.a', 'beta.b', 'acme.c'])).toEqual(['acme.a', 'acme.c']);
  });
});

describe('principals', () => {
  it('parse Kafka\'s User:<name> text, with the wildcard only where allowed', () => {
    expect(parseKafkaPrincipal('User:acme.alice')).toEqual({ principalType: 'User', name: 'acme.alice' });
    expect(parseKafkaPrincipal('User:a:b')).toEqual({ principalType: 'User', name: 'a:b' });
    expect(parseKafkaPrincipal('User:*', true).name).toBe('*');
    expect(() => parseKafkaPrincipal('User:*')).toThrow(/wildcard/);
    expect(() => parseKafkaPrincipal('Group:x')).toThrow(expect.objectContaining({ code: 'INVALID_PRINCIPAL_TYPE' }));
    expect(() => parseKafkaPrincipal('alice')).toThrow(/User:<name>/);
    expect(() => parseKafkaPrincipal('User:' + 'a'.repeat(300))).toThrow();
    expect(principalNameProblem('has space')).toMatch(/printable/);
    expect(formatPrincipal('x')).toBe('User:x');
    expect(anonymousIdentity('::1')).toMatchObject({ principal: 'User:ANONYMOUS', tenant: null, credentialKind: 'anonymous' });
  });
});
