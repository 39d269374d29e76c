/**
 * Where the broker is and how to authenticate, from (first wins) the command line, the
 * environment, the selected profile, and the default:
 *
 *   url:     --url,     SPOOL_URL,   profile.url,   http://127.0.0.1:8080
 *   token:   --token,   SPOOL_TOKEN, profile.token  (sent as `Authorization: Bearer <token>`)
 *   profile: --profile, SPOOL_PROFILE, the file's "current"
 *
 * A token is never printed; `spool profile list` says only whether one is set.
 */
import { usageError } from '../cli.error.js';
import { profileFilePath, readProfileFile, type ProfileFile } from './profile-file.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface GlobalOptions {
  url?: string;
  token?: string;
  profile?: string;
  profileFile?: string;
  timeoutMs?: number;
}

export interface Connection {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly token: string | undefined;
  /** The profile used, if any. */
  readonly profile: string | undefined;
  /** Per-request bound for admin calls (ms). */
  readonly timeoutMs: number;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function normalizeUrl(raw: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw usageError(`${from}: ${JSON.stringify(raw)} is not a URL`, 'give the broker\'s HTTP address, e.g. http://127.0.0.1:8080');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usageError(`${from}: ${JSON.stringify(raw)} must be an http:// or https:// URL`);
  return u.toString().replace(/\/+$/, '');
}

export function resolveConnection(opts: GlobalOptions, env: NodeJS.ProcessEnv, warn: (line: string) => void): Connection {
  const file = profileFilePath(opts.profileFile, env);
  const wanted = opts.profile ?? (env.SPOOL_PROFILE || undefined);
  // Read the file only when something may come from it: the common `SPOOL_URL=... spool ...` needs no file.
  const needFile = wanted !== undefined || opts.url === undefined || opts.token === undefined;
  const content: ProfileFile = needFile ? readProfileFile(file, warn) : { profiles: {} };
  const name = wanted ?? content.current;
  const profile = name === undefined ? undefined : content.profiles[name];
  if (name !== undefined && profile === undefined && wanted !== undefined) {
    const known = Object.keys(content.profiles);
    throw usageError(`no profile named ${JSON.stringify(name)} in ${file}`, known.length > 0 ? `known profiles: ${known.join(', ')}` : 'create one with `spool profile set <name> --url <url>`');
  }
  const [rawUrl, urlFrom] =
    opts.url !== undefined ? [opts.url, '--url']
    : env.SPOOL_URL ? [env.SPOOL_URL, 'SPOOL_URL']
    : profile?.url !== undefined ? [profile.url, `profile ${name}`]
    : [DEFAULT_URL, 'default'];
  const url = normalizeUrl(rawUrl, urlFrom);
  const token = opts.token ?? (env.SPOOL_TOKEN || undefined) ?? profile?.token;
  if (token !== undefined) {
    if (token.trim() === '' || /[\r\n]/.test(token)) throw usageError('the token is empty or holds a line break');
    const host = new URL(url).hostname;
    if (url.startsWith('http:') && !LOOPBACK.test(host)) warn(`warning: sending a token to ${host} over plain http: use https:// outside this machine`);
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return { url, token, profile: profile === undefined ? undefined : name, timeoutMs };
}
