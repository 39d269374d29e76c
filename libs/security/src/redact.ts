/**
 * Secrets never reach a log. Every log call in libs/security that could see a credential goes
 * through `redactingLogger` (or `redactSecrets` directly), and the faces wrap their request
 * loggers the same way during the wiring step. Two nets, because one is not enough:
 *
 * 1. by field name: any property whose name (case and '-'/'_' ignored) is a known secret-bearing
 *    name (password, secret, token, authorization, cookie, apiKey, authBytes, saltedPassword,
 *    storedKey, serverKey, proof, privateKey, ...) is replaced by "[REDACTED]", whatever its type;
 * 2. by shape, in every string anywhere (messages too): a Spool API key keeps its key id and
 *    loses its secret (`spk_<keyid>_[REDACTED]`), a JWT (three base64url parts starting `eyJ`)
 *    becomes "[REDACTED-JWT]", `Bearer <x>` / `Basic <x>` lose <x>, and a SCRAM client proof
 *    (`p=<base64>`) loses its value. Buffers become "[N bytes]": raw SASL bytes carry passwords.
 *
 * Depth is bounded (8) and cycles are cut, so a hostile object cannot make logging loop.
 */
import type { Logger } from '@spool/common';

export const REDACTED = '[REDACTED]';
const MAX_DEPTH = 8;

const SECRET_FIELDS = new Set([
  'password', 'passwd', 'pass', 'secret', 'clientsecret', 'token', 'accesstoken', 'refreshtoken', 'idtoken',
  'authorization', 'proxyauthorization', 'cookie', 'setcookie', 'apikey', 'xapikey', 'authbytes', 'saslauthbytes',
  'saltedpassword', 'storedkey', 'serverkey', 'clientkey', 'proof', 'clientproof', 'privatekey', 'jwt', 'bearer',
  'secrethash', 'hmacsecret', 'credential', 'credentials',
]);

const API_KEY_SHAPE = /\b(spk_[0-9a-f]{20}_)[A-Za-z0-9_-]+/g;
const JWT_SHAPE = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const AUTH_SCHEME_SHAPE = /\b(Bearer|Basic)\s+[^\s,;"']+/gi;
const SCRAM_PROOF_SHAPE = /(^|,)p=[A-Za-z0-9+/=]+/g;

function normalizedFieldName(name: string): string {
  return name.replace(/[-_]/g, '').toLowerCase();
}

export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELDS.has(normalizedFieldName(name));
}

/** `text` with every secret-shaped substring masked. */
export function redactString(text: string): string {
  return text
    .replace(API_KEY_SHAPE, `$1${REDACTED}`)
    .replace(JWT_SHAPE, '[REDACTED-JWT]')
    .replace(AUTH_SCHEME_SHAPE, `$1 ${REDACTED}`)
    .replace(SCRAM_PROOF_SHAPE, `$1p=${REDACTED}`);
}

/** A deep copy of `value` that is safe to log (see the file comment for what is masked). */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0, new WeakSet()) as T;
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactString(value.message) };
    if (value.stack !== undefined) out.stack = redactString(value.stack);
    for (const [k, v] of Object.entries(value)) out[k] = isSecretFieldName(k) ? REDACTED : redactValue(v, depth + 1, seen);
    return out;
  }
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = isSecretFieldName(String(k)) ? REDACTED : redactValue(v, depth + 1, seen);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretFieldName(k) ? REDACTED : redactValue(v, depth + 1, seen);
  }
  return out;
}

/** A Logger that redacts every object, binding and message before passing it on. */
export function redactingLogger(inner: Logger): Logger {
  const wrap = (level: 'info' | 'warn' | 'error' | 'debug') => (obj: object, msg?: string) =>
    inner[level](redactSecrets(obj), msg === undefined ? undefined : redactString(msg));
  return {
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    debug: wrap('debug'),
    child: (bindings: object) => redactingLogger(inner.child(redactSecrets(bindings))),
  };
}
