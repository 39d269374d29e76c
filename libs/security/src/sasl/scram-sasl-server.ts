/**
 * SCRAM-SHA-256/512 server (RFC 5802, RFC 7677), the state machine of Kafka's ScramSaslServer:
 *
 *   state                    event                         -> next state, reply
 *   RECEIVE_CLIENT_FIRST     valid client-first            -> RECEIVE_CLIENT_FINAL, server-first
 *                            anything else                 -> FAILED, SASL_AUTHENTICATION_FAILED
 *   RECEIVE_CLIENT_FINAL     client-final, proof verifies  -> COMPLETE, server-final (v=...)
 *                            anything else                 -> FAILED, SASL_AUTHENTICATION_FAILED
 *   COMPLETE | FAILED        any message                   -> unchanged, ILLEGAL_SASL_STATE
 *
 * Checks at client-final: the nonce ends with the combined nonce sent in server-first (as Kafka checks it: librdkafka repeats its client nonce in front); the channel
 * binding is the base64 of the gs2 header; ClientKey = proof XOR HMAC(StoredKey, AuthMessage) and
 * H(ClientKey) equals StoredKey (constantTimeEqual). AuthMessage = client-first-bare "," server-first
 * "," client-final-without-proof. An authzid, if sent, must equal the user name (as in Kafka).
 *
 * Unknown user: the server answers server-first with a salt derived from the user name and a
 * per-process secret (RFC 5802 section 9), and fails at client-final like a wrong password, so a
 * client cannot tell which user names exist. Delegation tokens (tokenauth=true) are refused.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '@spool/common';
import { constantTimeEqual, silentLogger } from '@spool/common';
import { formatPrincipal } from '../principal.js';
import { redactingLogger } from '../redact.js';
import { authenticationFailed, SecurityError } from '../security.error.js';
import type { ScramCredentialRecord, ScramMechanism } from '../store/security-records.js';
import { digest, hmac, SCRAM_DEFAULT_ITERATIONS, SCRAM_HASHES, type ScramHash } from './scram-credential.js';
import {
  decodeScramMessage,
  formatServerFinal,
  formatServerFirst,
  parseClientFinal,
  parseClientFirst,
  ScramParseError,
  type ClientFirstMessage,
} from './scram-messages.js';
import type { SaslServer, SaslStep } from './sasl-server.js';

export type ScramCredentialLookup = (mechanism: ScramMechanism, user: string) => ScramCredentialRecord | undefined;

export interface ScramServerOptions {
  readonly lookup: ScramCredentialLookup;
  /** Secret for fake salts of unknown users; one per process is enough. */
  readonly mockSaltSecret: Buffer;
  /** Server nonce source; tests inject RFC 7677's example nonce. */
  readonly serverNonce?: () => string;
  readonly clientHost: string;
  readonly logger?: Logger;
}

type State = 'RECEIVE_CLIENT_FIRST' | 'RECEIVE_CLIENT_FINAL' | 'COMPLETE' | 'FAILED';

export class ScramSaslServer implements SaslServer {
  private state: State = 'RECEIVE_CLIENT_FIRST';
  private clientFirst: ClientFirstMessage | null = null;
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredentialRecord | undefined;
  private readonly logger: Logger;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly options: ScramServerOptions,
  ) {
    this.logger = redactingLogger(options.logger ?? silentLogger).child({ component: 'sasl-scram', mechanism });
  }

  get currentState(): State {
    return this.state;
  }

  async evaluate(authBytes: Buffer): Promise<SaslStep> {
    switch (this.state) {
      case 'RECEIVE_CLIENT_FIRST':
        return this.guard(() => this.receiveClientFirst(authBytes));
      case 'RECEIVE_CLIENT_FINAL':
        return this.guard(() => this.receiveClientFinal(authBytes));
      default:
        throw new SecurityError('ILLEGAL_SASL_STATE', `${this.mechanism} exchange already ${this.state === 'COMPLETE' ? 'completed' : 'failed'}`, 'illegal-sasl-state');
    }
  }

  private guard(step: () => SaslStep): SaslStep {
    try {
      return step();
    } catch (err) {
      this.state = 'FAILED';
      if (err instanceof ScramParseError) {
        this.logger.info({ clientHost: this.options.clientHost, problem: err.message }, 'SCRAM message refused');
        throw authenticationFailed('malformed', {}, `Authentication failed: invalid ${this.mechanism} message: ${err.message}`);
      }
      throw err;
    }
  }

  private receiveClientFirst(authBytes: Buffer): SaslStep {
    const first = parseClientFirst(decodeScramMessage(authBytes));
    if (first.authzid !== null && first.authzid !== first.username) {
      throw authenticationFailed('authzid-mismatch', {}, 'Authentication failed: the authorization id must equal the user name');
    }
    if (first.extensions.get('tokenauth') === 'true') {
      throw authenticationFailed('unsupported', {}, 'Authentication failed: delegation tokens are not supported');
    }
    this.credential = this.options.lookup(this.mechanism, first.username);
    const salt = this.credential !== undefined ? Buffer.from(this.credential.salt, 'base64') : this.mockSalt(first.username);
    const iterations = this.credential?.iterations ?? SCRAM_DEFAULT_ITERATIONS;
    this.nonce = first.clientNonce + (this.options.serverNonce?.() ?? randomBytes(24).toString('base64url'));
    this.clientFirst = first;
    this.serverFirst = formatServerFirst(this.nonce, salt, iterations);
    this.state = 'RECEIVE_CLIENT_FINAL';
    return { complete: false, challenge: Buffer.from(this.serverFirst, 'utf8') };
  }

  private receiveClientFinal(authBytes: Buffer): SaslStep {
    const final = parseClientFinal(decodeScramMessage(authBytes));
    const first = this.clientFirst!;
    // Kafka's check (ScramSaslServer): the final nonce must END with the combined nonce. librdkafka
    // sends client nonce + combined nonce (its client-final repeats its own nonce in front), and
    // Kafka accepts that; an equality check would lock every librdkafka client out.
    if (!final.nonce.endsWith(this.nonce)) throw authenticationFailed('malformed', {}, 'Authentication failed: invalid nonce in client-final');
    if (!final.channelBinding.equals(Buffer.from(first.gs2Header, 'utf8'))) {
      throw authenticationFailed('malformed', {}, 'Authentication failed: channel binding does not match the gs2 header');
    }
    const hash = SCRAM_HASHES[this.mechanism];
    const credential = this.credential;
    const authMessage = `${first.bare},${this.serverFirst},${final.withoutProof}`;
    if (final.proof.length !== hash.size) return this.fail(first.username, credential === undefined ? 'unknown-user' : 'bad-proof');
    // An unknown user goes through the same steps against a stored key derived like its fake salt,
    // so the time of a refusal does not tell whether the user exists.
    const storedKey = credential !== undefined ? Buffer.from(credential.storedKey, 'base64') : this.mockStoredKey(first.username, hash);
    const clientSignature = hmac(hash, storedKey, authMessage);
    const clientKey = Buffer.alloc(hash.size);
    for (let i = 0; i < hash.size; i++) clientKey[i] = final.proof[i] ^ clientSignature[i];
    const computed = digest(hash, clientKey);
    if (!constantTimeEqual(storedKey, computed) || credential === undefined) return this.fail(first.username, credential === undefined ? 'unknown-user' : 'bad-proof');
    const serverSignature = hmac(hash, Buffer.from(credential.serverKey, 'base64'), authMessage);
    this.state = 'COMPLETE';
    return {
      complete: true,
      challenge: Buffer.from(formatServerFinal(serverSignature), 'utf8'),
      identity: {
        principal: formatPrincipal(credential.user),
        principalName: credential.user,
        tenant: credential.tenant,
        credentialKind: this.mechanism === 'SCRAM-SHA-256' ? 'sasl-scram-sha-256' : 'sasl-scram-sha-512',
        credentialId: credential.user,
        expiresAtMs: null,
        grants: [],
        clientHost: this.options.clientHost,
      },
    };
  }

  private fail(user: string, cause: string): never {
    this.logger.info({ user, cause, clientHost: this.options.clientHost }, 'SCRAM authentication failed');
    throw authenticationFailed('invalid-credential', { user, cause }, `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
  }

  private mockStoredKey(user: string, hash: ScramHash): Buffer {
    return hmac(hash, this.options.mockSaltSecret, `stored-key\u0000${this.mechanism}\u0000${user}`);
  }

  private mockSalt(user: string): Buffer {
    return hmac(SCRAM_HASHES['SCRAM-SHA-256'], this.options.mockSaltSecret, `${this.mechanism}\u0000${user}`);
  }
}
