/**
 * The SSRF guard: decides whether the broker may open a connection for a webhook endpoint. Two
 * steps, both on every delivery attempt (not only when a subscription is created, since DNS
 * answers change: "DNS rebinding"):
 *
 *   1. checkUrl: the URL is absolute http(s) without credentials; https only when `requireHttps`
 *      (production); no fragment.
 *   2. resolve: the host name is resolved (the injectable Resolver; an IP literal is taken as it
 *      is) and every address is checked against the refused ranges below. The first address that
 *      passes is returned, and the delivery client connects to exactly that address (the socket
 *      is pinned to it: no second lookup between check and connect). No address passing is
 *      ENDPOINT_NOT_ALLOWED naming the addresses and why each was refused.
 *
 * Refused unless an `allowCidrs` range covers the address (operators allow e.g. a private
 * network their receivers live in; the tests allow 127.0.0.0/8 for their loopback receiver):
 *
 *   loopback      127.0.0.0/8, ::1
 *   private       10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7 (unique local)
 *   link-local    169.254.0.0/16, fe80::/10
 *   cgnat         100.64.0.0/10 (RFC 6598 shared address space)
 *   metadata      169.254.169.254, fd00:ec2::254, 100.100.100.200, 192.0.0.192 (cloud instance
 *                 metadata services; named on their own so the refusal says what was hit)
 *   unspecified   0.0.0.0/8, ::
 *   multicast     224.0.0.0/4, ff00::/8
 *   reserved      240.0.0.0/4 (and broadcast), 192.0.0.0/24, 198.18.0.0/15 (benchmarking),
 *                 documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32,
 *                 100::/64 (discard), 2001::/32 (Teredo)
 *
 * IPv6 addresses that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96,
 * 6to4 2002::/16) are judged by the IPv4 address they reach.
 *
 * Cost per attempt (it runs on every delivery): a verdict is a pure function of the address text
 * and the allowed ranges (fixed per guard), so verdicts are remembered per address; a URL that
 * passed checkUrl is remembered per text (the same object is returned: callers only read it);
 * `localhost` and `*.localhost` resolve to 127.0.0.1 and ::1 without a lookup (RFC 6761: they
 * are loopback, whatever a resolver says). Host names other than those are resolved afresh on
 * every attempt: nothing of a DNS answer is kept.
 */
import dns from 'node:dns';
import net from 'node:net';
import { WebhookError } from './webhooks.error.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to its addresses (tests stub it; the default is the system resolver, getaddrinfo). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface AddressGuardOptions {
  /** Only https endpoints (production mode). */
  readonly requireHttps: boolean;
  /** CIDR ranges allowed even inside a refused range, e.g. "127.0.0.0/8", "10.1.0.0/16", "fd12::/16". */
  readonly allowCidrs?: readonly string[];
  readonly resolver?: Resolver;
}

type RangeReason = 'loopback' | 'private' | 'link-local' | 'cgnat' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

const REFUSED_V4: ReadonlyArray<readonly [string, number, RangeReason]> = [
  ['169.254.169.254', 32, 'metadata'],
  ['100.100.100.200', 32, 'metadata'],
  ['192.0.0.192', 32, 'metadata'],
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const REFUSED_V6: ReadonlyArray<readonly [string, number, RangeReason]> = [
  ['fd00:ec2::254', 128, 'metadata'],
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'reserved'],
  ['2001::', 32, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
];

/** A range list answering "which range holds this address" (net.BlockList answers only yes/no). */
class Ranges {
  private readonly lists: Array<{ list: net.BlockList; reason: RangeReason }> = [];

  constructor(v4: typeof REFUSED_V4, v6: typeof REFUSED_V6) {
    for (const [address, prefix, reason] of v4) this.add(address, prefix, 'ipv4', reason);
    for (const [address, prefix, reason] of v6) this.add(address, prefix, 'ipv6', reason);
  }

  private add(address: string, prefix: number, type: 'ipv4' | 'ipv6', reason: RangeReason): void {
    const list = new net.BlockList();
    list.addSubnet(address, prefix, type);
    this.lists.push({ list, reason });
  }

  reasonFor(address: string, type: 'ipv4' | 'ipv6'): RangeReason | null {
    for (const { list, reason } of this.lists) if (list.check(address, type)) return reason;
    return null;
  }
}

const REFUSED = new Ranges(REFUSED_V4, REFUSED_V6);

/** The 8 groups of an IPv6 address (a dotted IPv4 tail counts as two groups), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.split('%')[0]; // a zone index (fe80::1%eth0) is not part of the address
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => (/^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : NaN)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = [...head, ...Array<number>(missing).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g)) ? groups : null;
}

/** The IPv4 address an IPv6 address reaches (mapped, NAT64, 6to4), or null. */
export function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (g === null) return null;
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6], g[7]);
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return null;
}

/** Entries kept by each of the guard's memos before it starts over (bounds memory, whatever the inputs). */
const MEMO_ENTRIES = 4096;

const LOCALHOST: readonly ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/** `localhost` and names under it (RFC 6761 6.3), with or without the root's trailing dot. */
function isLocalhostName(host: string): boolean {
  const name = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

export class AddressGuard {
  private readonly allowed = new net.BlockList();
  private readonly resolver: Resolver;
  private readonly verdicts = new Map<string, RangeReason | null>();
  private readonly checkedUrls = new Map<string, URL>();
  readonly requireHttps: boolean;

  constructor(options: AddressGuardOptions) {
    this.requireHttps = options.requireHttps;
    this.resolver = options.resolver ?? systemResolver;
    for (const cidr of options.allowCidrs ?? []) {
      const [address, prefixText] = cidr.split('/');
      const type = net.isIP(address);
      const prefix = Number(prefixText ?? (type === 6 ? 128 : 32));
      if (type === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (type === 6 ? 128 : 32)) {
        throw new WebhookError('INVALID_ENDPOINT', `allowed range ${JSON.stringify(cidr)} is not an IPv4 or IPv6 CIDR`, { cidr });
      }
      this.allowed.addSubnet(address, prefix, type === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** The endpoint's URL, parsed and checked (syntax only: no DNS). INVALID_ENDPOINT otherwise. Read it, never change it: it is shared. */
  checkUrl(raw: string): URL {
    const known = this.checkedUrls.get(raw);
    if (known !== undefined) return known;
    const url = this.parseUrl(raw);
    if (this.checkedUrls.size >= MEMO_ENTRIES) this.checkedUrls.clear();
    this.checkedUrls.set(raw, url);
    return url;
  }

  private parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(raw)} is not an absolute URL`, { url: raw });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new WebhookError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(raw)}: the scheme must be https (got ${url.protocol.slice(0, -1)})`, { url: raw });
    }
    if (url.protocol === 'http:' && this.requireHttps) {
      throw new WebhookError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(raw)}: only https endpoints are allowed in production mode`, { url: raw });
    }
    if (url.username !== '' || url.password !== '') {
      throw new WebhookError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(url.host)}: credentials in the URL are not allowed`, { url: url.origin });
    }
    if (url.hash !== '') throw new WebhookError('INVALID_ENDPOINT', `endpoint ${JSON.stringify(raw)}: a fragment is not allowed`, { url: raw });
    return url;
  }

  /** Why `address` is refused, or null when it may be connected to. */
  refusal(address: string): RangeReason | null {
    let verdict = this.verdicts.get(address);
    if (verdict === undefined) {
      verdict = this.judge(address);
      if (this.verdicts.size >= MEMO_ENTRIES) this.verdicts.clear();
      this.verdicts.set(address, verdict);
    }
    return verdict;
  }

  private judge(address: string): RangeReason | null {
    const type = net.isIP(address);
    if (type === 0) return 'reserved';
    const family = type === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(address, family)) return null;
    if (family === 'ipv6') {
      const v4 = embeddedIpv4(address);
      if (v4 !== null) return this.refusal(v4);
    }
    return REFUSED.reasonFor(address, family);
  }

  /**
   * Resolves `url`'s host and returns the address to connect to (the first one not refused).
   * ENDPOINT_NOT_ALLOWED when none passes or the name does not resolve.
   */
  async resolve(url: URL): Promise<ResolvedAddress> {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = net.isIP(host);
    let candidates: readonly ResolvedAddress[];
    if (literal !== 0) candidates = [{ address: host, family: literal === 6 ? 6 : 4 }];
    else if (isLocalhostName(host)) candidates = LOCALHOST;
    else {
      try {
        candidates = await this.resolver(host);
      } catch (err) {
        throw new WebhookError('ENDPOINT_NOT_ALLOWED', `endpoint host ${JSON.stringify(host)} does not resolve: ${(err as Error).message}`, { host });
      }
    }
    const refused: string[] = [];
    for (const candidate of candidates) {
      const reason = this.refusal(candidate.address);
      if (reason === null) return candidate;
      refused.push(`${candidate.address} (${reason})`);
    }
    const what = refused.length === 0 ? 'no addresses' : refused.join(', ');
    throw new WebhookError('ENDPOINT_NOT_ALLOWED', `endpoint host ${JSON.stringify(host)} resolves to ${what}: refused (allow a range with the webhook allowed-CIDRs setting)`, {
      host,
      refused,
    });
  }
}
