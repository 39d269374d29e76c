/**
 * Salted slow hashes of API key secrets, with scrypt from node:crypto (docs/decisions.md: why
 * scrypt and not argon2). Stored form, PHC-like, in ApiKeyRecord.secretHash:
 *
 *   scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64, 16 bytes>$<hash, base64, 32 bytes>
 *
 * The parameters travel with each hash, so raising the default later leaves old keys verifiable.
 * Default ln=14 (N=16384), r=8, p=1: 16 MiB and tens of milliseconds per hash. The secrets are 256
 * random bits, so the slow hash guards against a stolen store, not against guessing; it is also
 * why verification is cached (api-key-authenticator.ts) and why concurrent hashes are limited
 * (HashLimiter): each costs a libuv thread and 16 MiB.
 *
 * Comparison is constant-time (constantTimeEqual, @spool/common). Parameters read back are bounded (ln <= 20,
 * r <= 32, p <= 16) so a damaged record cannot ask for gigabytes.
 */
import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { constantTimeEqual } from '@spool/common';
import { SecurityError } from '../security.error.js';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { ln: 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const ENCODED = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22}==)\$([A-Za-z0-9+/]{43}=)$/;

function scryptAsync(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, HASH_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function checkParams(params: ScryptParams): void {
  if (!(params.ln >= 1 && params.ln <= 20 && params.r >= 1 && params.r <= 32 && params.p >= 1 && params.p <= 16)) {
    throw new SecurityError('INVALID_CONFIG', `scrypt parameters out of range: ln=${params.ln} r=${params.r} p=${params.p}`, 'invalid-hash-params');
  }
}

export async function hashSecret(secret: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, params);
  return `scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `secret` hashes to `encoded`. Throws KAFKA_STORAGE_ERROR if `encoded` is not a hash. */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  const m = ENCODED.exec(encoded);
  if (m === null) throw new SecurityError('KAFKA_STORAGE_ERROR', 'a stored API key hash is not in the scrypt format', 'store-error');
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkParams(params);
  const expected = Buffer.from(m[5], 'base64');
  const actual = await scryptAsync(secret, Buffer.from(m[4], 'base64'), params);
  return constantTimeEqual(actual, expected);
}

/**
 * Bounds the slow hashes in flight: at most `concurrency` run (each holds a libuv thread and its
 * memory), at most `maxQueued` wait; beyond that a request fails at once with the retriable
 * THROTTLING_QUOTA_EXCEEDED rather than queueing without bound (a flood of wrong secrets must not
 * exhaust memory or starve the thread pool that file I/O shares).
 */
export class HashLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency = 2,
    private readonly maxQueued = 256,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) {
        throw new SecurityError('THROTTLING_QUOTA_EXCEEDED', 'too many credential checks in progress; retry shortly', 'hash-queue-full', {
          running: this.running,
          queued: this.waiting.length,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }
}
