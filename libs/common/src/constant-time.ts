/**
 * The one way Spool compares a secret, or a value derived from one (API key hashes, SCRAM proofs and
 * server signatures, passwords' salted keys), with what a client sent: `crypto.timingSafeEqual`,
 * whose time depends only on the length, never on where the first differing byte is. `===` on
 * strings and `Buffer.equals`/`Buffer.compare` stop at the first difference, which lets an attacker
 * who can time many attempts learn a secret byte by byte.
 *
 * timingSafeEqual throws on inputs of different lengths, and a check `a.length === b.length &&
 * timingSafeEqual(a, b)` answers a length mismatch faster than a content mismatch. Here a length
 * mismatch still runs one full comparison (of `a` with itself), so the time depends only on the
 * length of `a`, the caller's side: pass the value the server computed or stored as `a` and the
 * client's as `b` where the two may differ in length. Lengths of the values compared here are public
 * (a hash size, a key format), so nothing is learnt from them.
 *
 * A static test (test/security/secret-comparison.spec.ts) fails the build on any other
 * comparison of an identifier that names a secret in libs/ and apps/.
 */
import { timingSafeEqual } from 'node:crypto';

/** Whether `a` and `b` hold the same bytes (strings as UTF-8), in time that depends only on `a`'s length. */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const sameLength = left.length === right.length;
  // Both branches do the same work: a full pass over `left`.
  const equal = timingSafeEqual(left, sameLength ? right : left);
  return sameLength && equal;
}
