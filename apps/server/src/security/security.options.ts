/**
 * Security settings of a broker node, read once at boot from the environment (docs/security.md,
 * "Setup"). Off by default, so `npm start` on a developer's machine works as it always did:
 *
 *   SPOOL_AUTH                  `on`: every face asks for a credential; `none`: no authentication
 *                               (every client is User:ANONYMOUS and may do everything). Unset: off,
 *                               and then SPOOL_HOST must be a loopback address (a broker reachable
 *                               from other machines without authentication must be asked for with
 *                               SPOOL_AUTH=none).
 *   SPOOL_SECURITY_DIR          the security store (principals, keys, ACLs, quotas, tenants);
 *                               default <SPOOL_DATA_DIR>/__spool_security
 *   SPOOL_SUPER_USERS           Kafka's super.users, `;` or `,` separated; default User:admin
 *   SPOOL_ADMIN_API_KEY         the first admin's API key (`spk_<20 hex>_<43 base64url>`, made by the
 *   SPOOL_ADMIN_API_KEY_FILE    operator), or a file holding it (a Docker/Kubernetes secret): stored
 *                               hashed for User:admin at boot, replacing an earlier one of that id
 *   SPOOL_JWT_ISSUERS_FILE      a JSON array of trusted JWT issuers (libs/security JwtIssuerConfig)
 *   SPOOL_TLS_CERT_FILE         PEM certificate (chain) and key: TLS on every listener (HTTP with
 *   SPOOL_TLS_KEY_FILE          WebSocket and SSE, and the Kafka port: SSL / SASL_SSL)
 *   SPOOL_TLS_CA_FILE           PEM CA bundle that client certificates must chain to
 *   SPOOL_TLS_CLIENT_AUTH       none (default) | requested | required: mutual TLS (Kafka's ssl.client.auth)
 *   SPOOL_TLS_PRINCIPAL_MAPPING_RULES  Kafka's ssl.principal.mapping.rules: with mutual TLS, a Kafka
 *                               connection with a verified client certificate is the principal the
 *                               rules make of its subject DN, without SASL (unset: the certificate is
 *                               a gate only)
 *   SPOOL_CONNECTIONS_MAX_REAUTH_MS  Kafka's connections.max.reauth.ms: the longest a Kafka connection's
 *                               SASL login lasts before the client must re-authenticate (KIP-368);
 *                               0 (default): only an expiring credential limits it
 *
 * Cluster mode (SPOOL_ETCD_ENDPOINTS set) with SPOOL_AUTH=on: the store lives in etcd (every
 * broker reads and watches the same records; SPOOL_SECURITY_DIR is not used), and brokers log in
 * to each other with SASL as one principal, the same on every broker:
 *
 *   SPOOL_INTER_BROKER_USER            the brokers' principal name (default `spool-broker`): a super
 *                                      user, the only principal replica fetches are served to
 *   SPOOL_INTER_BROKER_PASSWORD        its password (at least 16 characters), or a file holding it;
 *   SPOOL_INTER_BROKER_PASSWORD_FILE   required in cluster mode with SPOOL_AUTH=on. Never logged.
 *   SPOOL_INTER_BROKER_MECHANISM       SCRAM-SHA-512 (default), SCRAM-SHA-256 or PLAIN
 *
 * Cluster mode with TLS on the Kafka port (SPOOL_TLS_CERT_FILE): brokers reach each other over TLS
 * and verify each other:
 *
 *   SPOOL_INTER_BROKER_TLS_CA_FILE     the CA other brokers' certificates must chain to (required);
 *                                      their certificate must name the host they advertise
 *   SPOOL_INTER_BROKER_TLS_CERT_FILE   the certificate and key this broker presents to the others
 *   SPOOL_INTER_BROKER_TLS_KEY_FILE    (their mutual TLS); default SPOOL_TLS_CERT_FILE / _KEY_FILE
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { isIP } from 'node:net';
import path from 'node:path';
import { SpoolError } from '@spool/common';
import type { EtcdClientSecurity } from '../cluster/etcd-client.options.js';
import { parseApiKey, parseKafkaPrincipal, SslPrincipalMapper, validateIssuerConfig, type JwtIssuerConfig } from '@spool/security';

export const SECURITY_ENV_VARS = [
  'SPOOL_AUTH',
  'SPOOL_SECURITY_DIR',
  'SPOOL_SUPER_USERS',
  'SPOOL_ADMIN_API_KEY',
  'SPOOL_ADMIN_API_KEY_FILE',
  'SPOOL_JWT_ISSUERS_FILE',
  'SPOOL_TLS_CERT_FILE',
  'SPOOL_TLS_KEY_FILE',
  'SPOOL_TLS_CA_FILE',
  'SPOOL_TLS_CLIENT_AUTH',
  'SPOOL_CONNECTIONS_MAX_REAUTH_MS',
  'SPOOL_TLS_PRINCIPAL_MAPPING_RULES',
  'SPOOL_INTER_BROKER_TLS_CA_FILE',
  'SPOOL_INTER_BROKER_TLS_CERT_FILE',
  'SPOOL_INTER_BROKER_TLS_KEY_FILE',
  'SPOOL_INTER_BROKER_USER',
  'SPOOL_INTER_BROKER_PASSWORD',
  'SPOOL_INTER_BROKER_PASSWORD_FILE',
  'SPOOL_INTER_BROKER_MECHANISM',
];

/** The brokers' own login to each other (cluster mode with authentication on). */
export interface InterBrokerCredentials {
  readonly mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN';
  readonly user: string;
  /** Never logged. */
  readonly password: string;
}

export const DEFAULT_INTER_BROKER_USER = 'spool-broker';
const MIN_INTER_BROKER_PASSWORD_LENGTH = 16;

/** TLS between brokers: the CA their certificates chain to, and what this broker presents. */
export interface InterBrokerTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  /** Never logged. */
  readonly key: Buffer;
}

/** TLS for every listener, from PEM files read at boot. */
export interface TlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Client certificates must chain to these (mutual TLS); null: the system's default CAs. */
  readonly ca: Buffer | null;
  /** Kafka's ssl.client.auth: ask for a client certificate (requested) or refuse connections without one (required). */
  readonly clientAuth: 'none' | 'requested' | 'required';
}

export interface SecurityOptions {
  /** Whether clients must authenticate (SPOOL_AUTH=on). */
  readonly enabled: boolean;
  /** Directory of the file-backed security store. */
  readonly storeDir: string;
  readonly superUsers: readonly string[];
  /** The bootstrap admin key, or null. Never logged. */
  readonly adminApiKey: string | null;
  readonly jwtIssuers: readonly JwtIssuerConfig[];
  /** TLS on every listener, or null (plaintext). */
  readonly tls: TlsOptions | null;
  /** Cluster mode: the store is in etcd under /<clusterName>/security/ (null: a file in storeDir). */
  readonly etcd?: { readonly endpoints: readonly string[]; readonly clusterName: string; readonly client?: EtcdClientSecurity | null } | null;
  /** Cluster mode with authentication on: how brokers log in to each other (null otherwise). */
  readonly interBroker?: InterBrokerCredentials | null;
  /** Kafka's quota.window.num and quota.window.size.seconds (in ms); defaults 11 and 1000. Tests shorten them. */
  readonly quotaSamples?: number;
  readonly quotaWindowMs?: number;
  /** Kafka's connections.max.reauth.ms (SPOOL_CONNECTIONS_MAX_REAUTH_MS); 0 or unset: no limit but the credential's expiry. */
  readonly connectionsMaxReauthMs?: number;
  /** Cluster mode with TLS on the Kafka port: how this broker reaches and verifies the others (null otherwise). */
  readonly interBrokerTls?: InterBrokerTls | null;
  /** Kafka's ssl.principal.mapping.rules (SPOOL_TLS_PRINCIPAL_MAPPING_RULES), checked at load; null/unset: certificates name no principal. */
  readonly sslPrincipalMappingRules?: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

function invalid(name: string, message: string): SpoolError {
  return new SpoolError('INVALID_CONFIG', `${name}: ${message}`, { name });
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Throws SpoolError INVALID_CONFIG naming the variable. */
export function securityOptionsFromEnv(
  env: Env,
  ctx: { dataDir: string; host: string; cwd?: string; etcd?: { readonly endpoints: readonly string[]; readonly clusterName: string; readonly client?: EtcdClientSecurity | null } | null },
): SecurityOptions {
  const auth = env.SPOOL_AUTH;
  if (auth !== undefined && auth !== 'on' && auth !== 'none') throw invalid('SPOOL_AUTH', `expected on or none, got ${JSON.stringify(auth)}`);
  const enabled = auth === 'on';
  if (auth === undefined && !isLoopbackHost(ctx.host)) {
    throw invalid(
      'SPOOL_AUTH',
      `authentication is off and SPOOL_HOST=${ctx.host} is not a loopback address: set SPOOL_AUTH=on (with SPOOL_ADMIN_API_KEY) to require credentials, or SPOOL_AUTH=none to accept every client without one`,
    );
  }
  const cwd = ctx.cwd ?? process.cwd();
  const storeDir = env.SPOOL_SECURITY_DIR !== undefined ? path.resolve(cwd, env.SPOOL_SECURITY_DIR) : path.join(ctx.dataDir, '__spool_security');

  const superUsers = (env.SPOOL_SUPER_USERS ?? 'User:admin').split(/[;,]/).map((s) => s.trim()).filter(Boolean);
  for (const principal of superUsers) {
    try {
      parseKafkaPrincipal(principal);
    } catch (err) {
      throw invalid('SPOOL_SUPER_USERS', (err as Error).message);
    }
  }

  if (env.SPOOL_ADMIN_API_KEY !== undefined && env.SPOOL_ADMIN_API_KEY_FILE !== undefined) {
    throw invalid('SPOOL_ADMIN_API_KEY_FILE', 'set SPOOL_ADMIN_API_KEY or SPOOL_ADMIN_API_KEY_FILE, not both');
  }
  let adminApiKey: string | null = env.SPOOL_ADMIN_API_KEY ?? null;
  let keyVar = 'SPOOL_ADMIN_API_KEY';
  if (env.SPOOL_ADMIN_API_KEY_FILE !== undefined) {
    keyVar = 'SPOOL_ADMIN_API_KEY_FILE';
    adminApiKey = readText(keyVar, path.resolve(cwd, env.SPOOL_ADMIN_API_KEY_FILE)).trim();
  }
  // The message never repeats the value: it is a secret.
  if (adminApiKey !== null && parseApiKey(adminApiKey) === null) {
    throw invalid(keyVar, 'expected an API key of the form spk_<20 lowercase hex digits>_<43 base64url characters> (docs/security.md shows how to make one)');
  }

  let jwtIssuers: JwtIssuerConfig[] = [];
  if (env.SPOOL_JWT_ISSUERS_FILE !== undefined) {
    const file = path.resolve(cwd, env.SPOOL_JWT_ISSUERS_FILE);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readText('SPOOL_JWT_ISSUERS_FILE', file));
    } catch (err) {
      if (err instanceof SpoolError) throw err;
      throw invalid('SPOOL_JWT_ISSUERS_FILE', `${file} is not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw invalid('SPOOL_JWT_ISSUERS_FILE', `${file} must hold a JSON array of issuers`);
    jwtIssuers = parsed as JwtIssuerConfig[];
    for (const issuer of jwtIssuers) {
      try {
        validateIssuerConfig(issuer);
      } catch (err) {
        throw invalid('SPOOL_JWT_ISSUERS_FILE', (err as Error).message);
      }
    }
  }
  const etcd = ctx.etcd ?? null;
  const interBroker = enabled && etcd !== null ? interBrokerFromEnv(env, cwd) : null;
  const reauth = env.SPOOL_CONNECTIONS_MAX_REAUTH_MS ?? '0';
  // Kafka's type is a long; beyond 2^31-1 ms (24 days) is as good as none and would overflow timers.
  if (!/^\d{1,10}$/.test(reauth) || Number(reauth) > 2_147_483_647) {
    throw invalid('SPOOL_CONNECTIONS_MAX_REAUTH_MS', `expected milliseconds from 0 (no limit) to 2147483647, got ${JSON.stringify(reauth)}`);
  }
  const tls = tlsFromEnv(env, cwd);
  const rules = env.SPOOL_TLS_PRINCIPAL_MAPPING_RULES ?? null;
  if (rules !== null) {
    if (tls === null || tls.clientAuth === 'none') throw invalid('SPOOL_TLS_PRINCIPAL_MAPPING_RULES', 'principals from client certificates need mutual TLS: set SPOOL_TLS_CLIENT_AUTH=required or requested (and SPOOL_TLS_CA_FILE)');
    try {
      SslPrincipalMapper.parse(rules);
    } catch (err) {
      throw invalid('SPOOL_TLS_PRINCIPAL_MAPPING_RULES', (err as Error).message);
    }
  }
  const interBrokerTls = interBrokerTlsFromEnv(env, cwd, tls, etcd !== null);
  return { enabled, storeDir, superUsers, adminApiKey, jwtIssuers, tls, etcd: enabled ? etcd : null, interBroker, connectionsMaxReauthMs: Number(reauth), sslPrincipalMappingRules: rules, interBrokerTls };
}

function interBrokerFromEnv(env: Env, cwd: string): InterBrokerCredentials {
  const user = env.SPOOL_INTER_BROKER_USER ?? DEFAULT_INTER_BROKER_USER;
  try {
    parseKafkaPrincipal(`User:${user}`);
  } catch (err) {
    throw invalid('SPOOL_INTER_BROKER_USER', (err as Error).message);
  }
  if (user.includes('.')) throw invalid('SPOOL_INTER_BROKER_USER', `${user} carries a tenant prefix (a '.'): the brokers' principal belongs to no tenant`);
  const mechanism = env.SPOOL_INTER_BROKER_MECHANISM ?? 'SCRAM-SHA-512';
  if (mechanism !== 'SCRAM-SHA-512' && mechanism !== 'SCRAM-SHA-256' && mechanism !== 'PLAIN') {
    throw invalid('SPOOL_INTER_BROKER_MECHANISM', `expected SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, got ${JSON.stringify(mechanism)}`);
  }
  if (env.SPOOL_INTER_BROKER_PASSWORD !== undefined && env.SPOOL_INTER_BROKER_PASSWORD_FILE !== undefined) {
    throw invalid('SPOOL_INTER_BROKER_PASSWORD_FILE', 'set SPOOL_INTER_BROKER_PASSWORD or SPOOL_INTER_BROKER_PASSWORD_FILE, not both');
  }
  let password = env.SPOOL_INTER_BROKER_PASSWORD;
  let name = 'SPOOL_INTER_BROKER_PASSWORD';
  if (env.SPOOL_INTER_BROKER_PASSWORD_FILE !== undefined) {
    name = 'SPOOL_INTER_BROKER_PASSWORD_FILE';
    password = readText(name, path.resolve(cwd, env.SPOOL_INTER_BROKER_PASSWORD_FILE)).trim();
  }
  if (password === undefined) {
    throw invalid(
      'SPOOL_INTER_BROKER_PASSWORD',
      'cluster mode (SPOOL_ETCD_ENDPOINTS) with SPOOL_AUTH=on needs the brokers\' shared password (SPOOL_INTER_BROKER_PASSWORD or SPOOL_INTER_BROKER_PASSWORD_FILE), the same on every broker',
    );
  }
  // The message never repeats the value: it is a secret.
  if (password.length < MIN_INTER_BROKER_PASSWORD_LENGTH || password.length > 1024) {
    throw invalid(name, `the inter-broker password must be ${MIN_INTER_BROKER_PASSWORD_LENGTH} to 1024 characters`);
  }
  return { mechanism, user, password };
}

/**
 * A cluster whose Kafka port is TLS has its brokers reach each other over TLS, so they must be told
 * which CA vouches for the others; without TLS (or on a single node) the variables are refused
 * rather than ignored.
 */
function interBrokerTlsFromEnv(env: Env, cwd: string, tls: TlsOptions | null, clusterMode: boolean): InterBrokerTls | null {
  const caFile = env.SPOOL_INTER_BROKER_TLS_CA_FILE;
  const certFile = env.SPOOL_INTER_BROKER_TLS_CERT_FILE;
  const keyFile = env.SPOOL_INTER_BROKER_TLS_KEY_FILE;
  const any = caFile ?? certFile ?? keyFile;
  if (!clusterMode || tls === null) {
    if (any !== undefined) throw invalid(caFile !== undefined ? 'SPOOL_INTER_BROKER_TLS_CA_FILE' : certFile !== undefined ? 'SPOOL_INTER_BROKER_TLS_CERT_FILE' : 'SPOOL_INTER_BROKER_TLS_KEY_FILE', 'TLS between brokers needs cluster mode (SPOOL_ETCD_ENDPOINTS) and TLS on the Kafka port (SPOOL_TLS_CERT_FILE)');
    return null;
  }
  if (caFile === undefined) {
    throw invalid('SPOOL_INTER_BROKER_TLS_CA_FILE', 'the Kafka port speaks TLS (SPOOL_TLS_CERT_FILE), so brokers reach each other over TLS: set the CA their certificates chain to');
  }
  if ((certFile === undefined) !== (keyFile === undefined)) throw invalid(certFile === undefined ? 'SPOOL_INTER_BROKER_TLS_CERT_FILE' : 'SPOOL_INTER_BROKER_TLS_KEY_FILE', 'set both SPOOL_INTER_BROKER_TLS_CERT_FILE and SPOOL_INTER_BROKER_TLS_KEY_FILE, or neither (then SPOOL_TLS_CERT_FILE and _KEY_FILE are presented)');
  const pem = (name: string, file: string): Buffer => {
    const text = readText(name, path.resolve(cwd, file));
    if (!text.includes('-----BEGIN ')) throw invalid(name, `${file} is not a PEM file`);
    return Buffer.from(text, 'utf8');
  };
  const ca = pem('SPOOL_INTER_BROKER_TLS_CA_FILE', caFile);
  const cert = certFile === undefined ? tls.cert : pem('SPOOL_INTER_BROKER_TLS_CERT_FILE', certFile);
  const key = keyFile === undefined ? tls.key : pem('SPOOL_INTER_BROKER_TLS_KEY_FILE', keyFile);
  try {
    createSecureContext({ cert, key, ca });
  } catch (err) {
    throw invalid('SPOOL_INTER_BROKER_TLS_CA_FILE', `the inter-broker CA, certificate and key do not make a TLS context: ${(err as Error).message}`);
  }
  return { ca, cert, key };
}

function tlsFromEnv(env: Env, cwd: string): TlsOptions | null {
  const certFile = env.SPOOL_TLS_CERT_FILE;
  const keyFile = env.SPOOL_TLS_KEY_FILE;
  const clientAuth = env.SPOOL_TLS_CLIENT_AUTH ?? 'none';
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required') {
    throw invalid('SPOOL_TLS_CLIENT_AUTH', `expected none, requested or required, got ${JSON.stringify(clientAuth)}`);
  }
  if (certFile === undefined && keyFile === undefined) {
    if (env.SPOOL_TLS_CA_FILE !== undefined || clientAuth !== 'none') throw invalid('SPOOL_TLS_CERT_FILE', 'mutual TLS needs TLS: set SPOOL_TLS_CERT_FILE and SPOOL_TLS_KEY_FILE');
    return null;
  }
  if (certFile === undefined || keyFile === undefined) throw invalid(certFile === undefined ? 'SPOOL_TLS_CERT_FILE' : 'SPOOL_TLS_KEY_FILE', 'set both SPOOL_TLS_CERT_FILE and SPOOL_TLS_KEY_FILE');
  const pem = (name: string, file: string): Buffer => {
    const text = readText(name, path.resolve(cwd, file));
    if (!text.includes('-----BEGIN ')) throw invalid(name, `${file} is not a PEM file`);
    return Buffer.from(text, 'utf8');
  };
  const cert = pem('SPOOL_TLS_CERT_FILE', certFile);
  const key = pem('SPOOL_TLS_KEY_FILE', keyFile);
  const ca = env.SPOOL_TLS_CA_FILE === undefined ? null : pem('SPOOL_TLS_CA_FILE', env.SPOOL_TLS_CA_FILE);
  // Fail at boot, naming the variables, rather than at the first handshake.
  try {
    createSecureContext({ cert, key, ...(ca !== null && { ca }) });
  } catch (err) {
    throw invalid('SPOOL_TLS_CERT_FILE', `the certificate, key and CA do not make a TLS context: ${(err as Error).message}`);
  }
  return { cert, key, ca, clientAuth };
}

/** Node's TLS server options for `tls` (HTTPS and the Kafka listener share them). */
export function tlsServerOptions(tls: TlsOptions): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean } {
  return { cert: tls.cert, key: tls.key, ...(tls.ca !== null && { ca: tls.ca }), requestCert: tls.clientAuth !== 'none', rejectUnauthorized: tls.clientAuth === 'required' };
}

function readText(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(name, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Security off (the default of tests and of a broker without SPOOL_AUTH). */
export function disabledSecurityOptions(dataDir: string): SecurityOptions {
  return { enabled: false, storeDir: path.join(dataDir, '__spool_security'), superUsers: ['User:admin'], adminApiKey: null, jwtIssuers: [], tls: null };
}
