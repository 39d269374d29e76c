/**
 * ApiVersions negotiation (KIP-35, KIP-511): on connect the client asks the broker which API
 * versions it serves and, per API, uses the highest version both sides support.
 *
 * What "this side supports" means: the versions the generated codecs of libs/protocol can encode
 * and decode (the registry), optionally narrowed per request by the caller (a typed helper that
 * has no topic id cannot use a version that only carries topic ids). An API the broker does not
 * list, or whose range does not meet ours, is refused with UNSUPPORTED_VERSION naming both
 * ranges, before anything is sent.
 */
import { getKafkaApi, type ApiVersionsResponse } from '@spool/protocol';
import { BrokerClientError } from './broker-client.error.js';

export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** Per apiKey, the versions both this client and the broker support (APIs with none are absent). */
export type NegotiatedVersions = ReadonlyMap<number, VersionRange>;

/** The overlap of the broker's advertised ranges with what the codecs know. */
export function negotiateVersions(advertised: ApiVersionsResponse['apiKeys']): NegotiatedVersions {
  const out = new Map<number, VersionRange>();
  for (const theirs of advertised) {
    const ours = getKafkaApi(theirs.apiKey);
    if (ours === undefined) continue;
    const minVersion = Math.max(ours.minVersion, theirs.minVersion);
    const maxVersion = Math.min(ours.maxVersion, theirs.maxVersion);
    if (minVersion <= maxVersion) out.set(theirs.apiKey, { minVersion, maxVersion });
  }
  return out;
}

/**
 * The version to send `apiKey` at: the highest both sides support within the caller's optional
 * `[minVersion, maxVersion]`. Throws UNSUPPORTED_VERSION when there is none.
 */
export function pickVersion(
  negotiated: NegotiatedVersions,
  advertised: ReadonlyMap<number, VersionRange>,
  apiKey: number,
  wanted: Partial<VersionRange>,
  broker: string,
): number {
  const api = getKafkaApi(apiKey);
  const name = api?.name ?? `apiKey ${apiKey}`;
  const both = negotiated.get(apiKey);
  const lo = Math.max(both?.minVersion ?? 0, wanted.minVersion ?? 0);
  const hi = Math.min(both?.maxVersion ?? -1, wanted.maxVersion ?? Number.MAX_SAFE_INTEGER);
  if (both !== undefined && lo <= hi) return hi;
  const theirs = advertised.get(apiKey);
  const theirText = theirs === undefined ? 'does not support it' : `supports ${theirs.minVersion}-${theirs.maxVersion}`;
  const ourText = api === undefined ? 'this client has no codec for it' : `this client supports ${api.minVersion}-${api.maxVersion}`;
  const wantText = wanted.minVersion !== undefined || wanted.maxVersion !== undefined ? `, the request needs ${wanted.minVersion ?? 0}-${wanted.maxVersion ?? 'any'}` : '';
  throw new BrokerClientError('UNSUPPORTED_VERSION', `no usable version of ${name} with ${broker}: the broker ${theirText}, ${ourText}${wantText}`, {
    apiKey,
    broker,
    brokerVersions: theirs ?? null,
  });
}
