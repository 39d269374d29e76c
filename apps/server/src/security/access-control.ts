/**
 * What every face of this node asks about security, in one object, whether security is on or not:
 *
 *   identity = await access.authenticate(credential, clientHost)   // anonymous when off
 *   access.check(identity, 'WRITE', topicResource(name))            // throws *_AUTHORIZATION_FAILED
 *   access.describable(identity, 'TOPIC', names)                    // listings hide the others
 *   access.checkMayName(identity, 'topic', name)                    // a tenant's prefix (POLICY_VIOLATION)
 *   access.throttleMs(identity, 'produce')                          // > 0: answer 429, Retry-After
 *
 * With security off (SPOOL_AUTH unset or none) every check passes and every client is
 * User:ANONYMOUS, which is how the broker behaved before security existed. With security on, the
 * rules are libs/security's Authorizer (docs/security.md, "ACL model").
 *
 * Quotas on HTTP: Kafka records a request and then throttles the client's next ones (it mutes the
 * connection). HTTP has no connection to mute, so a request that pushed its principal over a quota
 * is served, and the principal's requests of that kind in the next throttle time are refused with
 * 429 THROTTLING_QUOTA_EXCEEDED and Retry-After: nothing is appended from them, so a client that
 * retries loses and duplicates nothing.
 */
import type { Clock } from '@spool/common';
import { systemClock } from '@spool/common';
import {
  anonymousIdentity,
  checkTenantMayName,
  CLUSTER_RESOURCE,
  topicResource,
  retryAfterSeconds,
  revocationOf,
  revokes,
  SCRAM_MECHANISMS,
  SecurityError,
  type ConnectionLease,
  type CredentialRevocation,
  type Identity,
  type Operation,
  type Resource,
  type ResourceType,
  type SpoolSecurity,
} from '@spool/security';

export type ThrottleKind = 'produce' | 'fetch' | 'request';

const NO_LEASE: ConnectionLease = { release: () => undefined };

export class AccessControl {
  /** principal -> kind -> ms since the epoch until which that kind of request is refused. */
  private readonly throttledUntil = new Map<string, Map<ThrottleKind, number>>();

  constructor(
    /** null when security is off. */
    readonly security: SpoolSecurity | null,
    private readonly clock: Clock = systemClock,
  ) {}

  get enabled(): boolean {
    return this.security !== null;
  }

  /**
   * Calls `listener` when a change of the store takes away the credential some open connections
   * logged in with: an API key revoked or deleted, a SCRAM credential deleted, a tenant deleted
   * (libs/security revocation.ts). On this node as soon as the store's change event arrives (the
   * revoking call on this node; other nodes by their store watch). Each face closes the
   * connections whose identity `revokes` names. Returns the unsubscribe function.
   */
  onRevocation(listener: (revocation: CredentialRevocation) => void): () => void {
    const security = this.security;
    if (security === null) return () => undefined;
    const scramLeft = (user: string): boolean => SCRAM_MECHANISMS.some((m) => security.catalog.scramCredential(m, user) !== undefined);
    return security.catalog.onChange((change) => {
      const revocation = revocationOf(change, scramLeft);
      if (revocation !== null) listener(revocation);
    });
  }

  /**
   * Counts one open connection or stream of `identity` against its principal's and tenant's
   * `max_connections` quota until the lease is released; throws THROTTLING_QUOTA_EXCEEDED (reason
   * connection-limit) when either is at its limit. Not counted: security off, and the other
   * brokers' login (not metered by quotas).
   */
  acquireConnection(identity: Identity): ConnectionLease {
    if (this.security === null || this.security.isInterBroker(identity)) return NO_LEASE;
    return this.security.connections.acquire(identity);
  }

  /** Whether `revocation` ends a stream or connection authenticated as `identity`. */
  static revokes(revocation: CredentialRevocation, identity: Identity): boolean {
    return revokes(revocation, identity);
  }

  /** The identity proven by `credential` (a bearer API key or JWT); anonymous when security is off. */
  async authenticate(credential: string | undefined, clientHost: string): Promise<Identity> {
    if (this.security === null) return anonymousIdentity(clientHost);
    return this.security.authenticateBearer(credential, clientHost);
  }

  anonymous(clientHost: string): Identity {
    return anonymousIdentity(clientHost);
  }

  check(identity: Identity, operation: Operation, resource: Resource): void {
    this.security?.authorizer.check(identity, operation, resource);
  }

  authorize(identity: Identity, operation: Operation, resource: Resource): boolean {
    return this.security === null || this.security.authorizer.authorize(identity, operation, resource);
  }

  /** The names `identity` may DESCRIBE, in their order. */
  describable(identity: Identity, resourceType: ResourceType, names: readonly string[]): string[] {
    return this.security === null ? [...names] : this.security.authorizer.filterDescribable(identity, resourceType, names);
  }

  /** A tenant principal may only name (create, join) resources under its prefix. */
  checkMayName(identity: Identity, kind: string, name: string): void {
    if (this.security !== null) checkTenantMayName(identity.tenant, kind, name);
  }

  /**
   * Creating a topic (CreateTopics, the HTTP route, auto-creation by a produce): the tenant's
   * prefix first (a clear POLICY_VIOLATION), then Kafka's rule: CREATE on the cluster or on the topic.
   */
  checkMayCreateTopic(identity: Identity, name: string): void {
    if (this.security === null) return;
    this.checkMayName(identity, 'topic', name);
    if (this.authorize(identity, 'CREATE', CLUSTER_RESOURCE)) return;
    this.check(identity, 'CREATE', topicResource(name));
  }

  /** Refuses the request with 429 while `identity`'s requests of `kind` are throttled. */
  checkNotThrottled(identity: Identity, kind: ThrottleKind): void {
    if (this.security === null) return;
    const until = this.throttledUntil.get(identity.principal)?.get(kind);
    if (until === undefined) return;
    const remainingMs = until - this.clock.now();
    if (remainingMs <= 0) {
      this.throttledUntil.get(identity.principal)?.delete(kind);
      return;
    }
    throw new SecurityError('THROTTLING_QUOTA_EXCEEDED', `${identity.principal} is over its ${kind} quota; retry in ${retryAfterSeconds(remainingMs)} s`, 'quota-exceeded', {
      retryAfterMs: remainingMs,
    });
  }

  /** Records one request (request_rate) and its produced/fetched bytes and records; throttles the next ones if over a quota. */
  record(identity: Identity, kind: ThrottleKind, bytes = 0, records = 0): void {
    if (this.security === null) return;
    const quotas = this.security.quotas;
    this.hold(identity, 'request', quotas.recordRequest(identity));
    if (kind === 'produce') this.hold(identity, 'produce', quotas.recordProduce(identity, bytes, records));
    if (kind === 'fetch') this.hold(identity, 'fetch', quotas.recordFetch(identity, bytes, records));
  }

  /**
   * Bytes delivered to `identity` on a stream (WebSocket): the throttle time its consumer quota
   * asks for before the next delivery (0: none; always 0 with security off).
   */
  recordDelivered(identity: Identity, bytes: number, records: number): number {
    return this.security === null ? 0 : this.security.quotas.recordFetch(identity, bytes, records);
  }

  /**
   * Bytes produced on a stream (a WebSocket produce frame): counted toward `producer_byte_rate` and
   * the tenant's usage as an HTTP produce body is, and the principal's next HTTP produces are held
   * too; returns the throttle time the stream should stop reading for (0: none; always 0 with security off).
   */
  recordStreamProduce(identity: Identity, bytes: number, records: number): number {
    if (this.security === null) return 0;
    const throttleMs = this.security.quotas.recordProduce(identity, bytes, records);
    this.hold(identity, 'produce', throttleMs);
    return throttleMs;
  }

  private hold(identity: Identity, kind: ThrottleKind, throttleMs: number): void {
    if (throttleMs <= 0) return;
    let kinds = this.throttledUntil.get(identity.principal);
    if (kinds === undefined) this.throttledUntil.set(identity.principal, (kinds = new Map()));
    kinds.set(kind, this.clock.now() + throttleMs);
  }
}

/** Security off: what a module gets when the app has no SecurityModule (the tests' small apps). */
export const DISABLED_ACCESS = new AccessControl(null);
