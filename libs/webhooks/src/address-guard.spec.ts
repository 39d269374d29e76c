/**
 * The SSRF guard with a stubbed resolver: no test here resolves a real name or opens a socket.
 */
import { AddressGuard, embeddedIpv4, type Resolver } from './address-guard.js';

const resolver = (table: Record<string, string[]>): Resolver => async (host) => {
  const found = table[host];
  if (found === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const guard = new AddressGuard({
  requireHttps: false,
  resolver: resolver({
    'hooks.example.com': ['93.184.215.14'],
    'rebind.example.com': ['10.1.2.3'],
    'mixed.example.com': ['192.168.1.1', '93.184.215.15'],
    'metadata.example.com': ['169.254.169.254'],
    'v6.example.com': ['::ffff:127.0.0.1'],
    'empty.example.com': [],
  }),
});

async function refusal(url: string): Promise<string> {
  try {
    await guard.resolve(guard.checkUrl(url));
    return 'allowed';
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

describe('AddressGuard', () => {
  it('refuses loopback, private, link-local, CGNAT, metadata and reserved addresses', async () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['[::1]', 'loopback'],
      ['10.0.0.5', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.0.10', 'private'], ['[fd12:3456::1]', 'private'],
      ['169.254.10.10', 'link-local'], ['[fe80::1]', 'link-local'],
      ['100.64.0.1', 'cgnat'], ['100.127.255.254', 'cgnat'],
      ['169.254.169.254', 'metadata'], ['[fd00:ec2::254]', 'metadata'], ['100.100.100.200', 'metadata'],
      ['0.0.0.0', 'unspecified'], ['[::]', 'unspecified'], ['224.0.0.1', 'multicast'], ['255.255.255.255', 'reserved'], ['198.18.0.1', 'reserved'],
      ['[::ffff:10.0.0.1]', 'private'], ['[::ffff:169.254.169.254]', 'metadata'], ['[64:ff9b::7f00:1]', 'loopback'], ['[2002:a00:1::]', 'private'],
    ];
    for (const [host, reason] of cases) {
      expect([host, await refusal(`https://${host}/hook`)]).toEqual([host, expect.stringMatching(new RegExp(`^ENDPOINT_NOT_ALLOWED: .*\\(${reason}\\)`))]);
    }
  });

  it('checks the addresses a name resolves to: a name pointing at a private or metadata address is refused', async () => {
    expect(await refusal('https://rebind.example.com/hook')).toMatch(/^ENDPOINT_NOT_ALLOWED: endpoint host "rebind.example.com" resolves to 10.1.2.3 \(private\)/);
    expect(await refusal('https://metadata.example.com/latest')).toMatch(/169.254.169.254 \(metadata\)/);
    expect(await refusal('https://v6.example.com/')).toMatch(/::ffff:127.0.0.1 \(loopback\)/);
    expect(await refusal('https://empty.example.com/')).toMatch(/resolves to no addresses/);
    expect(await refusal('https://nowhere.example.com/')).toMatch(/does not resolve: getaddrinfo ENOTFOUND/);
  });

  it('pins the first allowed address of a name', async () => {
    expect(await guard.resolve(guard.checkUrl('https://hooks.example.com/x'))).toEqual({ address: '93.184.215.14', family: 4 });
    expect(await guard.resolve(guard.checkUrl('https://mixed.example.com/x'))).toEqual({ address: '93.184.215.15', family: 4 });
  });

  it('allows a refused range named in allowCidrs, and only that range', async () => {
    const open = new AddressGuard({ requireHttps: false, allowCidrs: ['127.0.0.0/8', '10.1.0.0/16'], resolver: resolver({ 'rebind.example.com': ['10.1.2.3'] }) });
    expect(await open.resolve(open.checkUrl('https://127.0.0.1:9/'))).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await open.resolve(open.checkUrl('https://rebind.example.com/'))).toEqual({ address: '10.1.2.3', family: 4 });
    await expect(open.resolve(open.checkUrl('https://10.2.0.1/'))).rejects.toThrow(/private/);
    await expect(open.resolve(open.checkUrl('https://169.254.169.254/'))).rejects.toThrow(/metadata/);
    expect(() => new AddressGuard({ requireHttps: false, allowCidrs: ['10.0.0.0/33'] })).toThrow(/CIDR/);
  });

  it('checks URL syntax: http(s) only, https only in production, no credentials or fragment', () => {
    const production = new AddressGuard({ requireHttps: true });
    expect(() => production.checkUrl('http://hooks.example.com/')).toThrow(/only https endpoints are allowed in production mode/);
    expect(production.checkUrl('https://hooks.example.com/a?b=1').pathname).toBe('/a');
    expect(guard.checkUrl('http://hooks.example.com/').protocol).toBe('http:');
    expect(() => guard.checkUrl('ftp://hooks.example.com/')).toThrow(/scheme must be https/);
    expect(() => guard.checkUrl('https://user:pw@hooks.example.com/')).toThrow(/credentials/);
    expect(() => guard.checkUrl('https://hooks.example.com/#x')).toThrow(/fragment/);
    expect(() => guard.checkUrl('/relative')).toThrow(/not an absolute URL/);
  });

  it('resolves a name again on every attempt: an answer that changes to a private address is refused (DNS rebinding)', async () => {
    const answers = [['93.184.215.14'], ['10.1.2.3'], ['93.184.215.14']];
    let calls = 0;
    const changing = new AddressGuard({ requireHttps: false, resolver: async () => (answers[calls++] ?? []).map((address) => ({ address, family: 4 as const })) });
    const url = changing.checkUrl('https://flip.example.com/hook');
    expect(await changing.resolve(url)).toEqual({ address: '93.184.215.14', family: 4 });
    await expect(changing.resolve(url)).rejects.toThrow(/10.1.2.3 \(private\)/);
    expect(await changing.resolve(changing.checkUrl('https://flip.example.com/hook'))).toEqual({ address: '93.184.215.14', family: 4 });
    expect(calls).toBe(3);
  });

  it('takes localhost names as loopback without asking the resolver (RFC 6761), refused unless allowed', async () => {
    const asked: string[] = [];
    const recording: Resolver = async (host) => {
      asked.push(host);
      return [{ address: '93.184.215.14', family: 4 }];
    };
    const closed = new AddressGuard({ requireHttps: false, resolver: recording });
    for (const host of ['localhost', 'LOCALHOST', 'localhost.', 'hooks.localhost']) {
      await expect(closed.resolve(closed.checkUrl(`https://${host}:8443/`))).rejects.toThrow(/127.0.0.1 \(loopback\), ::1 \(loopback\)/);
    }
    const open = new AddressGuard({ requireHttps: false, allowCidrs: ['127.0.0.0/8'], resolver: recording });
    expect(await open.resolve(open.checkUrl('https://localhost:8443/'))).toEqual({ address: '127.0.0.1', family: 4 });
    expect(asked).toEqual([]);
    expect(await open.resolve(open.checkUrl('https://notlocalhost.example/'))).toEqual({ address: '93.184.215.14', family: 4 });
    expect(asked).toEqual(['notlocalhost.example']);
  });

  it('gives the same verdict every time for an address or URL it remembered, and keeps refusing bad URLs', () => {
    for (let i = 0; i < 3; i++) {
      expect(guard.refusal('10.0.0.1')).toBe('private');
      expect(guard.refusal('::ffff:169.254.169.254')).toBe('metadata');
      expect(guard.refusal('93.184.215.14')).toBeNull();
      expect(() => guard.checkUrl('https://user:pw@hooks.example.com/')).toThrow(/credentials/);
    }
    expect(guard.checkUrl('https://hooks.example.com/a')).toBe(guard.checkUrl('https://hooks.example.com/a'));
    // More distinct addresses than the memo keeps: it starts over, verdicts unchanged.
    for (let i = 0; i < 5000; i++) expect(guard.refusal(`10.${(i >> 8) & 255}.${i & 255}.1`)).toBe('private');
    expect(guard.refusal('93.184.215.14')).toBeNull();
  });

  it('finds the IPv4 address inside mapped, NAT64 and 6to4 IPv6 addresses', () => {
    expect(embeddedIpv4('::ffff:192.168.1.1')).toBe('192.168.1.1');
    expect(embeddedIpv4('::ffff:c0a8:101')).toBe('192.168.1.1');
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('2002:c0a8:0101::1')).toBe('192.168.1.1');
    expect(embeddedIpv4('2001:db8::1')).toBeNull();
  });
});
