/**
 * How a broker reaches etcd securely (cluster mode), read once at boot from the environment:
 *
 *   SPOOL_ETCD_CA_FILE          PEM CA etcd's certificate chains to; required with https://
 *                               endpoints in SPOOL_ETCD_ENDPOINTS, refused with http:// ones
 *   SPOOL_ETCD_CERT_FILE        PEM client certificate and key, for an etcd started with
 *   SPOOL_ETCD_KEY_FILE         --client-cert-auth (both or neither)
 *   SPOOL_ETCD_USER             an etcd user (etcd's `auth enable`), with its password or a file
 *   SPOOL_ETCD_PASSWORD         holding it (a secret); never logged
 *   SPOOL_ETCD_PASSWORD_FILE
 *
 * The same settings serve the cluster metadata and, with authentication on, the security store.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EtcdTlsOptions } from '@spool/cluster';

export const ETCD_CLIENT_ENV_VARS = ['SPOOL_ETCD_CA_FILE', 'SPOOL_ETCD_CERT_FILE', 'SPOOL_ETCD_KEY_FILE', 'SPOOL_ETCD_USER', 'SPOOL_ETCD_PASSWORD', 'SPOOL_ETCD_PASSWORD_FILE'];

export interface EtcdClientSecurity {
  readonly tls: EtcdTlsOptions | null;
  /** Never logged. */
  readonly auth: { readonly username: string; readonly password: string } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The security of the etcd client, or null when none is configured; problems name the variable. */
export function etcdClientSecurityFromEnv(env: Env, cwd: string, endpoints: readonly string[] | null): { value: EtcdClientSecurity | null; problems: string[] } {
  const problems: string[] = [];
  const set = ETCD_CLIENT_ENV_VARS.filter((name) => env[name] !== undefined);
  if (endpoints === null) {
    if (set.length > 0) problems.push(`${set[0]}: etcd settings need cluster mode (SPOOL_ETCD_ENDPOINTS)`);
    return { value: null, problems };
  }
  const read = (name: string): Buffer | null => {
    try {
      const text = readFileSync(path.resolve(cwd, env[name]!), 'utf8');
      if (!text.includes('-----BEGIN ')) throw new Error('not a PEM file');
      return Buffer.from(text, 'utf8');
    } catch (err) {
      problems.push(`${name}: cannot use ${env[name]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return null;
    }
  };
  const https = endpoints.filter((e) => e.startsWith('https://')).length;
  let tls: EtcdTlsOptions | null = null;
  if (env.SPOOL_ETCD_CA_FILE !== undefined) {
    if (https !== endpoints.length) problems.push('SPOOL_ETCD_CA_FILE: TLS to etcd needs https:// endpoints in SPOOL_ETCD_ENDPOINTS');
    if ((env.SPOOL_ETCD_CERT_FILE === undefined) !== (env.SPOOL_ETCD_KEY_FILE === undefined)) problems.push('SPOOL_ETCD_CERT_FILE: set both SPOOL_ETCD_CERT_FILE and SPOOL_ETCD_KEY_FILE, or neither');
    const ca = read('SPOOL_ETCD_CA_FILE');
    const cert = env.SPOOL_ETCD_CERT_FILE !== undefined ? read('SPOOL_ETCD_CERT_FILE') : null;
    const key = env.SPOOL_ETCD_KEY_FILE !== undefined ? read('SPOOL_ETCD_KEY_FILE') : null;
    if (ca !== null) tls = { ca, ...(cert !== null && key !== null && { cert, key }) };
  } else if (https > 0) {
    problems.push('SPOOL_ETCD_CA_FILE: https:// etcd endpoints need the CA etcd\'s certificate chains to');
  } else if (env.SPOOL_ETCD_CERT_FILE !== undefined || env.SPOOL_ETCD_KEY_FILE !== undefined) {
    problems.push('SPOOL_ETCD_CERT_FILE: a client certificate needs TLS to etcd (SPOOL_ETCD_CA_FILE and https:// endpoints)');
  }
  let auth: EtcdClientSecurity['auth'] = null;
  if (env.SPOOL_ETCD_PASSWORD !== undefined && env.SPOOL_ETCD_PASSWORD_FILE !== undefined) problems.push('SPOOL_ETCD_PASSWORD_FILE: set SPOOL_ETCD_PASSWORD or SPOOL_ETCD_PASSWORD_FILE, not both');
  let password = env.SPOOL_ETCD_PASSWORD;
  if (env.SPOOL_ETCD_PASSWORD_FILE !== undefined) {
    try {
      password = readFileSync(path.resolve(cwd, env.SPOOL_ETCD_PASSWORD_FILE), 'utf8').trim();
    } catch (err) {
      problems.push(`SPOOL_ETCD_PASSWORD_FILE: cannot read ${env.SPOOL_ETCD_PASSWORD_FILE}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (env.SPOOL_ETCD_USER !== undefined) {
    // The message never repeats the password.
    if (password === undefined || password === '') problems.push('SPOOL_ETCD_PASSWORD: SPOOL_ETCD_USER needs its password (SPOOL_ETCD_PASSWORD or SPOOL_ETCD_PASSWORD_FILE)');
    else auth = { username: env.SPOOL_ETCD_USER, password };
  } else if (password !== undefined) {
    problems.push('SPOOL_ETCD_USER: an etcd password needs its user');
  }
  return { value: tls === null && auth === null ? null : { tls, auth }, problems };
}
