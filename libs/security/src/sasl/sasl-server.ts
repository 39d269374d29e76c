/**
 * The server side of one SASL exchange on one Kafka connection, mechanism-neutral, so the Kafka
 * face's SaslHandshake/SaslAuthenticate handlers stay thin:
 *
 *   SaslHandshake(mechanism)   -> createSaslServer(mechanism) (UNSUPPORTED_SASL_MECHANISM if absent)
 *   SaslAuthenticate(authBytes)-> server.evaluate(authBytes)
 *        resolves { complete: false, challenge }  -> send challenge as auth_bytes, wait for the next
 *        resolves { complete: true, challenge, identity } -> send challenge (may be empty); the
 *              connection is now `identity` (session_lifetime_ms from identity.expiresAtMs)
 *        rejects SecurityError SASL_AUTHENTICATION_FAILED -> error code 58 with its message, then
 *              close the connection (Kafka does); ILLEGAL_SASL_STATE if called after the end.
 *
 * One exchange per SaslServer; not reentrant (the Kafka face handles one request at a time per
 * connection until authenticated).
 */
import type { Identity } from '../principal.js';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export type SaslStep =
  | { readonly complete: false; readonly challenge: Buffer }
  | { readonly complete: true; readonly challenge: Buffer; readonly identity: Identity };

export interface SaslServer {
  readonly mechanism: SaslMechanism;
  evaluate(authBytes: Buffer): Promise<SaslStep>;
}
