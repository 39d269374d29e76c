/**
 * SASL/PLAIN server (RFC 4616): one message, `[authzid] NUL authcid NUL passwd`, UTF-8, each part
 * at most 255 bytes (the RFC's bound; the message at most 767 bytes). As in Kafka's
 * PlainSaslServer, an authzid must be empty or equal to authcid.
 *
 * Two kinds of password are accepted, so every Kafka client can log in with what Spool issues:
 * - an API key (`spk_<keyId>_<secret>`), with the user name being the key id or the key's
 *   principal name (the way hosted Kafka services take an API key over PLAIN);
 * - a SCRAM user's password, checked against the stored SCRAM credential (SHA-512 first, then
 *   SHA-256) by recomputing StoredKey: PLAIN needs no credential store of its own. An unknown
 *   user costs the same PBKDF2 as a known one, so timing does not reveal which names exist.
 *
 * PLAIN sends the password itself: only offer it on a TLS listener (docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '@spool/common';
import { constantTimeEqual, silentLogger } from '@spool/common';
import type { ApiKeyAuthenticator } from '../api-key/api-key-authenticator.js';
import { looksLikeApiKey } from '../api-key/api-key-format.js';
import type { HashLimiter } from '../api-key/secret-hash.js';
import { formatPrincipal, type Identity } from '../principal.js';
import { redactingLogger } from '../redact.js';
import { authenticationFailed, isSecurityError, SecurityError } from '../security.error.js';
import { SCRAM_MECHANISMS } from '../store/security-records.js';
import { keysFromSaltedPassword, saltedPassword, SCRAM_DEFAULT_ITERATIONS, SCRAM_HASHES } from './scram-credential.js';
import type { ScramCredentialLookup } from './scram-sasl-server.js';
import type { SaslServer, SaslStep } from './sasl-server.js';

const MAX_PART_BYTES = 255;
const MAX_MESSAGE_BYTES = 3 * MAX_PART_BYTES + 2;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface PlainServerOptions {
  readonly lookup: ScramCredentialLookup;
  readonly apiKeys: ApiKeyAuthenticator | null;
  readonly limiter: HashLimiter;
  readonly clientHost: string;
  readonly logger?: Logger;
}

export interface PlainMessage {
  readonly authzid: string;
  readonly authcid: string;
  readonly password: string;
}

/** Splits and checks a PLAIN message; throws SASL_AUTHENTICATION_FAILED (reason malformed). */
export function parsePlainMessage(bytes: Uint8Array): PlainMessage {
  const malformed = (why: string) => authenticationFailed('malformed', {}, `Authentication failed: invalid SASL/PLAIN message: ${why}`);
  if (bytes.length === 0 || bytes.length > MAX_MESSAGE_BYTES) throw malformed(`length ${bytes.length} is outside 1..${MAX_MESSAGE_BYTES}`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed('not valid UTF-8');
  }
  const parts = text.split('\u0000');
  if (parts.length !== 3) throw malformed('expected authzid NUL authcid NUL password');
  const [authzid, authcid, password] = parts;
  if (authcid.length === 0) throw malformed('empty user name');
  if (password.length === 0) throw malformed('empty password');
  if (parts.some((p) => Buffer.byteLength(p, 'utf8') > MAX_PART_BYTES)) throw malformed(`a part is longer than ${MAX_PART_BYTES} bytes`);
  if (authzid.length > 0 && authzid !== authcid) {
    throw authenticationFailed('authzid-mismatch', {}, 'Authentication failed: the authorization id must equal the user name');
  }
  return { authzid, authcid, password };
}

export class PlainSaslServer implements SaslServer {
  readonly mechanism = 'PLAIN' as const;
  private done = false;
  private readonly logger: Logger;
  private static readonly dummySalt = randomBytes(32);

  constructor(private readonly options: PlainServerOptions) {
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'sasl-plain' });
  }

  async evaluate(authBytes: Buffer): Promise<SaslStep> {
    if (this.done) throw new SecurityError('ILLEGAL_SASL_STATE', 'PLAIN exchange already finished', 'illegal-sasl-state');
    this.done = true;
    const message = parsePlainMessage(authBytes);
    const identity = looksLikeApiKey(message.password) ? await this.viaApiKey(message) : await this.viaScram(message);
    return { complete: true, challenge: Buffer.alloc(0), identity };
  }

  private async viaApiKey(message: PlainMessage): Promise<Identity> {
    if (this.options.apiKeys === null) throw authenticationFailed('invalid-credential', { cause: 'api-keys-disabled' });
    const identity = await this.options.apiKeys.authenticate({ credential: message.password, clientHost: this.options.clientHost });
    if (message.authcid !== identity.credentialId && message.authcid !== identity.principalName) {
      this.logger.info({ user: message.authcid, keyId: identity.credentialId }, 'PLAIN refused: user name does not match the API key');
      throw authenticationFailed('invalid-credential', { cause: 'user-key-mismatch' });
    }
    return { ...identity, credentialKind: 'sasl-plain' };
  }

  private async viaScram(message: PlainMessage): Promise<Identity> {
    const user = message.authcid;
    const credential = SCRAM_MECHANISMS.map((m) => this.options.lookup(m, user)).reverse().find((c) => c !== undefined);
    const hash = SCRAM_HASHES[credential?.mechanism ?? 'SCRAM-SHA-512'];
    const salt = credential !== undefined ? Buffer.from(credential.salt, 'base64') : PlainSaslServer.dummySalt;
    let salted: Buffer;
    try {
      salted = await this.options.limiter.run(() => saltedPassword(hash, message.password, salt, credential?.iterations ?? SCRAM_DEFAULT_ITERATIONS));
    } catch (err) {
      if (isSecurityError(err)) throw err;
      throw authenticationFailed('invalid-credential', { user, cause: 'hash-failed' });
    }
    const storedKey = keysFromSaltedPassword(hash, salted).storedKey;
    // An unknown user is compared against its own derived key's complement: the same work, never equal.
    const expected = credential !== undefined ? Buffer.from(credential.storedKey, 'base64') : storedKey.map((b) => b ^ 0xff);
    if (!constantTimeEqual(storedKey, expected) || credential === undefined) {
      this.logger.info({ user, clientHost: this.options.clientHost, cause: credential === undefined ? 'unknown-user' : 'bad-password' }, 'PLAIN authentication failed');
      throw authenticationFailed('invalid-credential', { user }, 'Authentication failed: Invalid username or password');
    }
    return {
      principal: formatPrincipal(credential!.user),
      principalName: credential!.user,
      tenant: credential!.tenant,
      credentialKind: 'sasl-plain',
      credentialId: credential!.user,
      expiresAtMs: null,
      grants: [],
      clientHost: this.options.clientHost,
    };
  }
}
