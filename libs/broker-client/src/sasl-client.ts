/**
 * The client side of SASL for inter-broker connections: a broker logs in to another with its
 * inter-broker credential (docs/security.md, "Cluster mode") before its first request, over
 * Kafka's SaslHandshake v1 + SaslAuthenticate (KIP-152), as any Kafka client does.
 *
 * SCRAM-SHA-256/512 (RFC 5802, RFC 7677, no channel binding, no authzid):
 *
 *   client-first   "n,," "n=" saslname "," "r=" client-nonce
 *   server-first   "r=" client-nonce server-nonce "," "s=" base64(salt) "," "i=" iterations
 *   client-final   "c=biws," "r=" nonce "," "p=" base64(ClientKey XOR HMAC(StoredKey, AuthMessage))
 *   server-final   "v=" base64(HMAC(ServerKey, AuthMessage))   (checked, constant-time)
 *
 * The server's answers are checked before use (nonce prefix, iterations bounded so a hostile peer
 * cannot make this broker spend seconds in PBKDF2, the server signature), so a peer that does not
 * hold the credential cannot pass itself off as a broker either. PLAIN ("\0user\0password") is
 * there for completeness; it sends the password as it is.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '@spool/common';

export type SaslClientMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslClientCredentials {
  readonly mechanism: SaslClientMechanism;
  readonly username: string;
  /** Never logged, never part of an error message. */
  readonly password: string;
}

/** One login: `first()` is the first token, `next(challenge)` each following one (null when done). */
export interface SaslClientExchange {
  first(): Buffer;
  next(challenge: Buffer): Promise<Buffer | null>;
}

/** SCRAM iterations accepted from a server: Kafka's range (4096..16384). */
const MIN_ITERATIONS = 4096;
const MAX_ITERATIONS = 16384;

export class SaslClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslClientError';
  }
}

/** `clientNonce`: tests pass RFC 7677's example nonce; otherwise 24 random bytes. */
export function saslClientExchange(credentials: SaslClientCredentials, clientNonce?: string): SaslClientExchange {
  if (credentials.mechanism === 'PLAIN') return new PlainExchange(credentials);
  return new ScramExchange(credentials, clientNonce ?? randomBytes(24).toString('base64url'));
}

class PlainExchange implements SaslClientExchange {
  constructor(private readonly credentials: SaslClientCredentials) {}

  first(): Buffer {
    return Buffer.from(`\u0000${this.credentials.username}\u0000${this.credentials.password}`, 'utf8');
  }

  async next(): Promise<Buffer | null> {
    return null;
  }
}

class ScramExchange implements SaslClientExchange {
  private readonly digestName: 'sha256' | 'sha512';
  private readonly size: number;
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | null = null;

  constructor(
    private readonly credentials: SaslClientCredentials,
    private readonly clientNonce: string,
  ) {
    this.digestName = credentials.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    this.size = this.digestName === 'sha256' ? 32 : 64;
    const saslname = credentials.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.clientFirstBare = `n=${saslname},r=${this.clientNonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  async next(challenge: Buffer): Promise<Buffer | null> {
    if (this.serverSignature === null) return this.final(challenge.toString('utf8'));
    const serverFinal = challenge.toString('utf8');
    if (serverFinal.startsWith('e=')) throw new SaslClientError(`the server refused the SCRAM login: ${serverFinal.slice(2, 200)}`);
    const given = serverFinal.startsWith('v=') ? Buffer.from(serverFinal.slice(2), 'base64') : Buffer.alloc(0);
    if (!constantTimeEqual(this.serverSignature, given)) {
      throw new SaslClientError('the server\'s SCRAM signature does not match: it does not hold this credential');
    }
    return null;
  }

  private async final(serverFirst: string): Promise<Buffer> {
    const fields = new Map<string, string>();
    for (const part of serverFirst.split(',')) if (part.length >= 2 && part[1] === '=') fields.set(part[0]!, part.slice(2));
    const nonce = fields.get('r');
    const salt = fields.get('s');
    const iterations = Number(fields.get('i'));
    if (nonce === undefined || !nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new SaslClientError('the server-first SCRAM message carries no valid nonce');
    }
    if (salt === undefined || salt.length === 0) throw new SaslClientError('the server-first SCRAM message carries no salt');
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new SaslClientError(`the server asks for ${fields.get('i')} SCRAM iterations (accepted: ${MIN_ITERATIONS}..${MAX_ITERATIONS})`);
    }
    const salted = await new Promise<Buffer>((resolve, reject) =>
      pbkdf2(Buffer.from(this.credentials.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, this.size, this.digestName, (err, key) => (err ? reject(err) : resolve(key))),
    );
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientKey = this.hmac(salted, 'Client Key');
    const storedKey = createHash(this.digestName).update(clientKey).digest();
    const signature = this.hmac(storedKey, authMessage);
    const proof = Buffer.alloc(this.size);
    for (let i = 0; i < this.size; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private hmac(key: Buffer, data: string): Buffer {
    return createHmac(this.digestName, key).update(data).digest();
  }
}
