/**
 * The SCRAM messages (RFC 5802 section 7) as SaslAuthenticate carries them, parsed with bounds:
 *
 *   client-first  = gs2-header client-first-bare
 *   gs2-header    = ("n" | "y") "," ["a=" saslname] ","        ("p=<cb>" is channel binding: refused)
 *   client-first-bare = "n=" saslname "," "r=" c-nonce ["," extensions]
 *   server-first  = "r=" c-nonce s-nonce "," "s=" base64(salt) "," "i=" iterations
 *   client-final  = "c=" base64(gs2-header) "," "r=" nonce ["," extensions] "," "p=" base64(proof)
 *   server-final  = "v=" base64(ServerSignature)  |  "e=" error
 *
 * saslname escapes ',' as "=2C" and '=' as "=3D"; any other '=' is invalid. Nonces are printable
 * ASCII except ','. Every message is at most MAX_SCRAM_MESSAGE_BYTES, must be valid UTF-8, and
 * each part is checked before use, so hostile input yields a ScramParseError and nothing else.
 */

export const MAX_SCRAM_MESSAGE_BYTES = 4096;
const MAX_NONCE_LENGTH = 512;
const MAX_USERNAME_BYTES = 255;
const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class ScramParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramParseError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeScramMessage(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new ScramParseError('empty SCRAM message');
  if (bytes.length > MAX_SCRAM_MESSAGE_BYTES) throw new ScramParseError(`SCRAM message of ${bytes.length} bytes exceeds ${MAX_SCRAM_MESSAGE_BYTES}`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ScramParseError('SCRAM message is not valid UTF-8');
  }
}

/** saslname -> name ("=2C" -> ",", "=3D" -> "="). */
export function decodeSaslName(text: string): string {
  if (text.length === 0) throw new ScramParseError('empty saslname');
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',' || c === '\u0000') throw new ScramParseError('saslname contains "," or NUL');
    if (c !== '=') {
      out += c;
      continue;
    }
    const escape = text.slice(i + 1, i + 3);
    if (escape === '2C') out += ',';
    else if (escape === '3D') out += '=';
    else throw new ScramParseError('saslname contains "=" not followed by 2C or 3D');
    i += 2;
  }
  if (Buffer.byteLength(out, 'utf8') > MAX_USERNAME_BYTES) throw new ScramParseError(`user name longer than ${MAX_USERNAME_BYTES} bytes`);
  return out;
}

export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function nonce(text: string, what: string): string {
  if (text.length === 0 || text.length > MAX_NONCE_LENGTH || !PRINTABLE_NONCE.test(text)) {
    throw new ScramParseError(`${what} must be 1..${MAX_NONCE_LENGTH} printable characters without ","`);
  }
  return text;
}

function base64(text: string, what: string): Buffer {
  if (text.length === 0 || !BASE64.test(text)) throw new ScramParseError(`${what} is not base64`);
  return Buffer.from(text, 'base64');
}

function extensions(parts: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ScramParseError('malformed extension');
    const key = part.slice(0, eq);
    if (key === 'm') throw new ScramParseError('mandatory extension (m=) not supported');
    out.set(key, part.slice(eq + 1));
  }
  return out;
}

export interface ClientFirstMessage {
  readonly gs2Header: string;
  readonly authzid: string | null;
  readonly username: string;
  readonly clientNonce: string;
  readonly bare: string;
  readonly extensions: ReadonlyMap<string, string>;
}

export function parseClientFirst(text: string): ClientFirstMessage {
  const flag = text[0];
  if (flag === 'p') throw new ScramParseError('channel binding (p=) is not supported; use a mechanism without -PLUS');
  if ((flag !== 'n' && flag !== 'y') || text[1] !== ',') throw new ScramParseError('client-first must start with "n," or "y,"');
  const headerEnd = text.indexOf(',', 2);
  if (headerEnd < 0) throw new ScramParseError('client-first has no gs2 header end');
  const authzText = text.slice(2, headerEnd);
  let authzid: string | null = null;
  if (authzText.length > 0) {
    if (!authzText.startsWith('a=')) throw new ScramParseError('gs2 header authzid must be "a=<name>"');
    authzid = decodeSaslName(authzText.slice(2));
  }
  const gs2Header = text.slice(0, headerEnd + 1);
  const bare = text.slice(headerEnd + 1);
  const parts = bare.split(',');
  if (parts.length < 2 || !parts[0].startsWith('n=') || !parts[1].startsWith('r=')) {
    throw new ScramParseError('client-first-bare must be "n=<user>,r=<nonce>[,extensions]"');
  }
  return {
    gs2Header,
    authzid,
    username: decodeSaslName(parts[0].slice(2)),
    clientNonce: nonce(parts[1].slice(2), 'client nonce'),
    bare,
    extensions: extensions(parts.slice(2)),
  };
}

export interface ClientFinalMessage {
  readonly channelBinding: Buffer;
  readonly nonce: string;
  readonly proof: Buffer;
  /** client-final-message-without-proof, part of AuthMessage. */
  readonly withoutProof: string;
}

export function parseClientFinal(text: string): ClientFinalMessage {
  const proofAt = text.lastIndexOf(',p=');
  if (proofAt < 0) throw new ScramParseError('client-final has no proof (",p=")');
  const withoutProof = text.slice(0, proofAt);
  const parts = withoutProof.split(',');
  if (parts.length < 2 || !parts[0].startsWith('c=') || !parts[1].startsWith('r=')) {
    throw new ScramParseError('client-final must be "c=<binding>,r=<nonce>[,extensions],p=<proof>"');
  }
  for (const ext of parts.slice(2)) if (ext.indexOf('=') <= 0) throw new ScramParseError('malformed extension');
  return {
    channelBinding: base64(parts[0].slice(2), 'channel binding'),
    nonce: nonce(parts[1].slice(2), 'nonce'),
    proof: base64(text.slice(proofAt + 3), 'proof'),
    withoutProof,
  };
}

export function formatServerFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function formatServerFinal(serverSignature: Buffer): string {
  return `v=${serverSignature.toString('base64')}`;
}
