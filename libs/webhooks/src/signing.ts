/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, "Signature scheme"):
 *
 *   webhook-id:         an id stable across retries of the same message (receivers deduplicate by it)
 *   webhook-timestamp:  integer seconds since the epoch when this attempt was signed
 *   webhook-signature:  "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
 *                       (several space-separated signatures during a secret rotation)
 *
 * The key is the secret's bytes: a secret is written `whsec_` + standard base64 of 24..64 random
 * bytes, and only the base64 part is decoded into the HMAC key. Secrets are generated here (32
 * bytes from the CSPRNG) and never chosen by users, so every secret has full entropy.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { WebhookError } from './webhooks.error.js';

export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a `whsec_` secret; INVALID_SECRET when it is not one. */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new WebhookError('INVALID_SECRET', `a signing secret is ${SECRET_PREFIX} followed by base64 of ${MIN_SECRET_BYTES}..${MAX_SECRET_BYTES} bytes`);
  }
  return key;
}

/** `v1,<base64 signature>` of one message. `body` is signed as the exact bytes sent. */
export function signMessage(key: Buffer, webhookId: string, timestampSeconds: number, body: Buffer | string): string {
  const hmac = createHmac('sha256', key);
  hmac.update(`${webhookId}.${timestampSeconds}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}

/** The three Standard Webhooks headers for one attempt; `keys`: the current key first, then any being rotated out. */
export function signatureHeaders(keys: readonly Buffer[], webhookId: string, timestampSeconds: number, body: Buffer | string): Record<string, string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': keys.map((key) => signMessage(key, webhookId, timestampSeconds, body)).join(' '),
  };
}
