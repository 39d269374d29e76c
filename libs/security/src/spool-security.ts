/**
 * Everything a node needs for security, opened from one store, so the wiring into each face is a
 * few calls:
 *
 *   const security = await SpoolSecurity.open({ store, superUsers: ['User:admin'], jwtIssuers });
 *   HTTP/WS/SSE:  identity = await security.authenticateBearer(token, remoteAddress)
 *   Kafka SASL:   server = security.createSaslServer(mechanism, remoteAddress); server.evaluate(bytes)
 *   every request: security.authorizer.check(identity, 'WRITE', topicResource(name))
 *   produce/fetch: throttleMs = security.quotas.recordProduce(identity, bytes)
 *   connections:  lease = security.connections.acquire(identity) ... lease.release()
 *   admin routes: security.admin.createApiKey(...), createAcls(...), ...
 *
 * The catalog follows the store's change events; the authorizer's ACLs, the API key cache and the
 * quota limits follow the catalog, so a change made on any node applies on this one as soon as its
 * store delivers the event.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '@spool/common';
import { silentLogger, systemClock } from '@spool/common';
import { Authorizer } from './acl/authorizer.js';
import { SecurityAdmin } from './admin/security-admin.js';
import { ApiKeyAuthenticator } from './api-key/api-key-authenticator.js';
import { looksLikeApiKey } from './api-key/api-key-format.js';
import { HashLimiter, type ScryptParams } from './api-key/secret-hash.js';
import type { JwtIssuerConfig } from './jwt/jwt-config.js';
import { JwtAuthenticator } from './jwt/jwt-authenticator.js';
import { formatPrincipal, principalNameProblem, validatePrincipalName, type Identity } from './principal.js';
import { prefixTenantOf } from './tenant.js';
import { subjectDistinguishedName, type SslPrincipalMapper } from './tls/ssl-principal-mapper.js';
import { createScramCredential } from './sasl/scram-credential.js';
import { SCRAM_MECHANISMS, type ScramCredentialRecord, type ScramMechanism } from './store/security-records.js';
import { ConnectionLimiter } from './quota/connection-limiter.js';
import { QuotaManager } from './quota/quota-manager.js';
import { PlainSaslServer } from './sasl/plain-sasl-server.js';
import { SASL_MECHANISMS, type SaslMechanism, type SaslServer } from './sasl/sasl-server.js';
import { ScramSaslServer } from './sasl/scram-sasl-server.js';
import { authenticationFailed, SecurityError } from './security.error.js';
import { SecurityCatalog } from './store/security-catalog.js';
import type { SecurityStore } from './store/security-store.js';

export interface SpoolSecurityOptions {
  readonly store: SecurityStore;
  /** Kafka's super.users, e.g. ['User:admin']. */
  readonly superUsers?: readonly string[];
  readonly allowEveryoneIfNoAclFound?: boolean;
  /** Trusted JWT issuers; none = bearer JWTs are refused. */
  readonly jwtIssuers?: readonly JwtIssuerConfig[];
  /** SASL mechanisms offered on the Kafka listener (default PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  readonly saslMechanisms?: readonly SaslMechanism[];
  readonly scryptParams?: ScryptParams;
  readonly apiKeyCacheTtlMs?: number;
  /** Slow hashes (scrypt, PBKDF2) at once, and waiting. */
  readonly hashConcurrency?: number;
  readonly hashQueue?: number;
  readonly quotaSamples?: number;
  readonly quotaWindowMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * The brokers' own SASL login (cluster mode: SPOOL_INTER_BROKER_USER / _PASSWORD). Its SCRAM
   * credentials are derived in memory at open and never stored; the principal is a super user,
   * the only one `isInterBroker` accepts (replica fetches), and reserved: no stored credential may
   * be made for it.
   */
  readonly interBroker?: { readonly user: string; readonly password: string } | null;
}

export class SpoolSecurity {
  readonly saslMechanisms: readonly SaslMechanism[];
  /** `User:<inter-broker user>`, or null when brokers do not log in (security off, or a single node without one). */
  readonly interBrokerPrincipal: string | null;
  private readonly mockSaltSecret = randomBytes(32);
  private readonly unbindAuthorizer: () => void;

  private constructor(
    readonly catalog: SecurityCatalog,
    readonly authorizer: Authorizer,
    readonly apiKeys: ApiKeyAuthenticator,
    readonly jwt: JwtAuthenticator | null,
    readonly quotas: QuotaManager,
    readonly connections: ConnectionLimiter,
    readonly admin: SecurityAdmin,
    private readonly limiter: HashLimiter,
    private readonly logger: Logger,
    options: SpoolSecurityOptions,
    private readonly interBrokerCredentials: ReadonlyMap<ScramMechanism, ScramCredentialRecord>,
  ) {
    this.saslMechanisms = options.saslMechanisms ?? SASL_MECHANISMS;
    this.interBrokerPrincipal = options.interBroker ? formatPrincipal(options.interBroker.user) : null;
    this.unbindAuthorizer = catalog.bindAuthorizer(authorizer);
  }

  static async open(options: SpoolSecurityOptions): Promise<SpoolSecurity> {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const jwtIssuers = options.jwtIssuers ?? [];
    // Validate configuration before touching the store: a bad issuer is a start-up error.
    const jwt = jwtIssuers.length > 0 ? new JwtAuthenticator({ issuers: jwtIssuers, clock, logger }) : null;
    const interBroker = options.interBroker ?? null;
    const interBrokerCredentials = new Map<ScramMechanism, ScramCredentialRecord>();
    if (interBroker !== null) {
      const user = validatePrincipalName(interBroker.user);
      for (const mechanism of SCRAM_MECHANISMS) interBrokerCredentials.set(mechanism, await createScramCredential({ user, mechanism, tenant: null, password: interBroker.password }));
    }
    const superUsers = [...(options.superUsers ?? []), ...(interBroker !== null ? [formatPrincipal(interBroker.user)] : [])];
    const catalog = await SecurityCatalog.open(options.store);
    const limiter = new HashLimiter(options.hashConcurrency ?? 2, options.hashQueue ?? 256);
    return new SpoolSecurity(
      catalog,
      new Authorizer({ superUsers, allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound, logger }),
      new ApiKeyAuthenticator(catalog, { clock, cacheTtlMs: options.apiKeyCacheTtlMs, limiter, logger }),
      jwt,
      new QuotaManager(catalog, { clock, samples: options.quotaSamples, windowMs: options.quotaWindowMs }),
      new ConnectionLimiter(catalog),
      new SecurityAdmin(catalog, { clock, scryptParams: options.scryptParams, logger, reservedPrincipalNames: interBroker !== null ? [interBroker.user] : [] }),
      limiter,
      logger,
      options,
      interBrokerCredentials,
    );
  }

  /**
   * The credential of `Authorization: Bearer <x>` (or a WebSocket first frame, an SSE query
   * parameter or cookie): an API key (`spk_...`) or a JWT, told apart by shape.
   */
  authenticateBearer(credential: string | undefined, clientHost: string): Promise<Identity> {
    if (typeof credential !== 'string' || credential.length === 0) {
      return Promise.reject(authenticationFailed('missing', {}, 'Authentication required: send an API key or token'));
    }
    if (looksLikeApiKey(credential)) return this.apiKeys.authenticate({ credential, clientHost });
    if (this.jwt !== null && credential.startsWith('ey')) return this.jwt.authenticate({ credential, clientHost });
    return Promise.reject(authenticationFailed('malformed', {}, 'Authentication failed: the credential is neither an API key nor an accepted token'));
  }

  /** SaslHandshake: a server for `mechanism`, or UNSUPPORTED_SASL_MECHANISM naming the offered ones. */
  createSaslServer(mechanism: string, clientHost: string): SaslServer {
    if (!(this.saslMechanisms as readonly string[]).includes(mechanism)) {
      throw new SecurityError('UNSUPPORTED_SASL_MECHANISM', `SASL mechanism ${mechanism} is not enabled; enabled: ${this.saslMechanisms.join(', ')}`, 'unsupported-mechanism', {
        enabled: this.saslMechanisms,
      });
    }
    // The brokers' credential is looked up first and only in memory: the store cannot shadow it.
    const lookup = (m: ScramMechanism, user: string): ScramCredentialRecord | undefined =>
      this.interBrokerCredentials.size > 0 && user === this.interBrokerCredentials.get(m)?.user ? this.interBrokerCredentials.get(m) : this.catalog.scramCredential(m, user);
    if (mechanism === 'PLAIN') return new PlainSaslServer({ lookup, apiKeys: this.apiKeys, limiter: this.limiter, clientHost, logger: this.logger });
    return new ScramSaslServer(mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512', { lookup, mockSaltSecret: this.mockSaltSecret, clientHost, logger: this.logger });
  }

  /**
   * The identity a verified client certificate proves (Kafka's SSL listener): the principal name
   * `mapper` makes of its subject DN, the tenant whose prefix that name carries (if the tenant
   * exists). SASL_AUTHENTICATION_FAILED when no rule applies or the name is not a legal principal.
   * No expiry: TLS checked the certificate's validity at the handshake.
   */
  certificateIdentity(mapper: SslPrincipalMapper, certificate: Buffer, clientHost: string): Identity {
    const dn = subjectDistinguishedName(certificate);
    const name = mapper.nameOf(dn);
    if (name === null || principalNameProblem(name) !== null) {
      this.logger.info({ dn, clientHost }, 'client certificate refused: no principal for its subject');
      throw authenticationFailed('invalid-credential', { dn }, `Authentication failed: no principal for the client certificate's subject ${dn} (SPOOL_TLS_PRINCIPAL_MAPPING_RULES)`);
    }
    const prefix = prefixTenantOf(name);
    const tenant = prefix !== null && this.catalog.tenant(prefix) !== undefined ? prefix : null;
    return { principal: formatPrincipal(name), principalName: name, tenant, credentialKind: 'tls-certificate', credentialId: dn, expiresAtMs: null, grants: [], clientHost };
  }

  /**
   * Whether `identity` is another broker of this cluster: logged in over SASL with the
   * inter-broker credential (not an API key, not a JWT). Replica fetches need this.
   */
  isInterBroker(identity: Identity): boolean {
    return (
      this.interBrokerPrincipal !== null &&
      identity.principal === this.interBrokerPrincipal &&
      identity.credentialKind.startsWith('sasl-') &&
      identity.credentialId === identity.principalName
    );
  }

  /** Stops following the store (does not close it: the caller owns the store). */
  close(): void {
    this.unbindAuthorizer();
    this.apiKeys.close();
    this.quotas.close();
    this.catalog.close();
  }
}
