/**
 * Kafka's SCRAM credentials (RFC 5802 section 3, as Kafka's ScramFormatter computes them):
 *
 *   SaltedPassword = Hi(UTF-8 password, salt, iterations)   (PBKDF2 with HMAC-H, dkLen = H's size)
 *   ClientKey      = HMAC(SaltedPassword, "Client Key")
 *   StoredKey      = H(ClientKey)
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 *
 * The store keeps (salt, StoredKey, ServerKey, iterations), never the password or SaltedPassword,
 * exactly the fields of Kafka's UserScramCredentialRecord. Like Kafka, the password is used as
 * its UTF-8 bytes without SASLprep. Iterations are bounded as Kafka bounds them (4096..16384).
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { SecurityError } from '../security.error.js';
import type { ScramCredentialRecord, ScramMechanism } from '../store/security-records.js';

export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;
export const SCRAM_DEFAULT_ITERATIONS = 4096;
const SALT_BYTES = 32;

export interface ScramHash {
  /** node:crypto digest name. */
  readonly digest: 'sha256' | 'sha512';
  /** Output size in bytes (32 or 64). */
  readonly size: number;
}

export const SCRAM_HASHES: Readonly<Record<ScramMechanism, ScramHash>> = {
  'SCRAM-SHA-256': { digest: 'sha256', size: 32 },
  'SCRAM-SHA-512': { digest: 'sha512', size: 64 },
};

/** Kafka's int8 mechanism codes (DescribeUserScramCredentials, AlterUserScramCredentials). */
export const SCRAM_MECHANISM_CODE: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

export function hmac(hash: ScramHash, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(hash.digest, key).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash.digest).update(data).digest();
}

export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, hash.size, hash.digest, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) {
    throw new SecurityError(
      'INVALID_REQUEST',
      `SCRAM iterations must be an integer from ${SCRAM_MIN_ITERATIONS} to ${SCRAM_MAX_ITERATIONS}; got ${iterations}`,
      'invalid-iterations',
    );
  }
}

export interface ScramKeys {
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export function keysFromSaltedPassword(hash: ScramHash, salted: Buffer): ScramKeys {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
}

/**
 * The credential for (user, mechanism) from a salt and salted password, as AlterUserScramCredentials
 * carries them (the client derived SaltedPassword itself; the broker never sees the password).
 */
export function scramCredentialFromSaltedPassword(args: {
  user: string;
  mechanism: ScramMechanism;
  tenant: string | null;
  salt: Buffer;
  saltedPassword: Buffer;
  iterations: number;
}): ScramCredentialRecord {
  checkIterations(args.iterations);
  const hash = SCRAM_HASHES[args.mechanism];
  if (args.saltedPassword.length !== hash.size) {
    throw new SecurityError('INVALID_REQUEST', `${args.mechanism} salted password must be ${hash.size} bytes; got ${args.saltedPassword.length}`, 'invalid-salted-password');
  }
  if (args.salt.length === 0 || args.salt.length > 1024) throw new SecurityError('INVALID_REQUEST', 'SCRAM salt must be 1..1024 bytes', 'invalid-salt');
  const keys = keysFromSaltedPassword(hash, args.saltedPassword);
  return {
    user: args.user,
    mechanism: args.mechanism,
    tenant: args.tenant,
    salt: args.salt.toString('base64'),
    storedKey: keys.storedKey.toString('base64'),
    serverKey: keys.serverKey.toString('base64'),
    iterations: args.iterations,
  };
}

/** A fresh credential from a password (random 32-byte salt). */
export async function createScramCredential(args: {
  user: string;
  mechanism: ScramMechanism;
  tenant: string | null;
  password: string;
  iterations?: number;
}): Promise<ScramCredentialRecord> {
  const iterations = args.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  checkIterations(iterations);
  if (typeof args.password !== 'string' || args.password.length === 0 || args.password.length > 1024) {
    throw new SecurityError('INVALID_REQUEST', 'a SCRAM password must be 1..1024 characters', 'invalid-password');
  }
  const salt = randomBytes(SALT_BYTES);
  const salted = await saltedPassword(SCRAM_HASHES[args.mechanism], args.password, salt, iterations);
  return scramCredentialFromSaltedPassword({ user: args.user, mechanism: args.mechanism, tenant: args.tenant, salt, saltedPassword: salted, iterations });
}
