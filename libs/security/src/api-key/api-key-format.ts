/**
 * The API key a server presents (`Authorization: Bearer <key>`, or as the SASL/PLAIN password):
 *
 *   spk_<keyId>_<secret>
 *   keyId  = 20 lowercase hex digits (10 random bytes): public, names the key in lists and logs
 *   secret = 43 base64url characters (32 random bytes, 256 bits): shown once, stored only hashed
 *
 * 68 characters in all. The fixed-width key id makes parsing one bounded regex, and the `spk_`
 * prefix lets secret scanners (and redact.ts) recognise a leaked key.
 */
import { randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'spk_';
export const API_KEY_LENGTH = 4 + 20 + 1 + 43;
const API_KEY = /^spk_([0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  readonly keyId: string;
  readonly secret: string;
}

export function generateApiKey(): ParsedApiKey & { readonly apiKey: string } {
  const keyId = randomBytes(10).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, apiKey: `${API_KEY_PREFIX}${keyId}_${secret}` };
}

/** The parts of `text`, or null when it is not an API key (checked by length first). */
export function parseApiKey(text: string): ParsedApiKey | null {
  if (typeof text !== 'string' || text.length !== API_KEY_LENGTH) return null;
  const m = API_KEY.exec(text);
  return m === null ? null : { keyId: m[1], secret: m[2] };
}

export function looksLikeApiKey(text: string): boolean {
  return typeof text === 'string' && text.startsWith(API_KEY_PREFIX);
}
