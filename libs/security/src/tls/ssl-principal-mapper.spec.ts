import { SslPrincipalMapper } from './ssl-principal-mapper.js';

describe('Kafka ssl.principal.mapping.rules', () => {
  it('applies the first rule matching the whole DN, with groups and case, and DEFAULT as the DN itself', () => {
    const mapper = SslPrincipalMapper.parse('RULE:^CN=([^,]*),OU=Ops,.*$/$1/L, RULE:^CN=([^,]*),O=Acme$/acme.$1/, DEFAULT');
    expect(mapper.nameOf('CN=Ingest,OU=Ops,O=Acme')).toBe('ingest');
    expect(mapper.nameOf('CN=reader,O=Acme')).toBe('acme.reader');
    expect(mapper.nameOf('CN=x,O=Other')).toBe('CN=x,O=Other');
    expect(SslPrincipalMapper.parse('RULE:^CN=(.*)$/$1/U').nameOf('CN=abc')).toBe('ABC');
  });

  it('has no principal for a DN no rule matches, and refuses rules that do not parse', () => {
    expect(SslPrincipalMapper.parse('RULE:^CN=([^,]*)$/$1/').nameOf('CN=a,O=b')).toBeNull();
    expect(() => SslPrincipalMapper.parse('')).toThrow(/no rule/);
    expect(() => SslPrincipalMapper.parse('RULE:^CN=(.*$/$1/')).toThrow(/not a regular expression/);
    expect(() => SslPrincipalMapper.parse('RULE:x/y')).toThrow(/cannot parse the rules from character 0/);
    expect(() => SslPrincipalMapper.parse('DEFAULT, SOMETHING')).toThrow(/cannot parse/);
  });
});
