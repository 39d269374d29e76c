/**
 * The SCRAM server against an independent client written here from RFC 5802 (Hi as the RFC's
 * iterated HMAC, not node's pbkdf2 that the server uses), RFC 7677's SCRAM-SHA-256 example as
 * golden bytes, and fast-check fuzzing of both client messages.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isSecurityError } from '../security.error.js';
import type { ScramCredentialRecord, ScramMechanism } from '../store/security-records.js';
import { createScramCredential, saltedPassword, SCRAM_HASHES, scramCredentialFromSaltedPassword } from './scram-credential.js';
import { decodeSaslName, encodeSaslName } from './scram-messages.js';
import { ScramSaslServer, type ScramCredentialLookup } from './scram-sasl-server.js';

const algo = (m: ScramMechanism) => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const H = (m: ScramMechanism, data: Buffer) => createHash(algo(m)).update(data).digest();
const HMAC = (m: ScramMechanism, key: Buffer, data: Buffer | string) => createHmac(algo(m), key).update(data).digest();

/** RFC 5802 section 2.2: Hi(str, salt, i) = U1 XOR U2 XOR ... XOR Ui, U1 = HMAC(str, salt + INT(1)). */
const hiMemo = new Map<string, Buffer>();
function Hi(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const memoKey = `${m}|${password}|${salt.toString('base64')}|${iterations}`;
  const known = hiMemo.get(memoKey);
  if (known !== undefined) return known;
  let u: Buffer = HMAC(m, Buffer.from(password, 'utf8'), Buffer.concat([salt, Buffer.from([0, 0, 0, 1])]));
  const out = Buffer.from(u);
  for (let i = 1; i < iterations; i++) {
    u = HMAC(m, Buffer.from(password, 'utf8'), u);
    for (let j = 0; j < out.length; j++) out[j] ^= u[j];
  }
  hiMemo.set(memoKey, out);
  return out;
}

/** A SCRAM client from the RFC: client-first, then client-final from server-first, then checks server-final. */
class RfcScramClient {
  private bare = '';
  private authMessage = '';
  private saltedPw: Buffer = Buffer.alloc(0);
  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
    private readonly nonce = randomBytes(18).toString('base64'),
    private readonly gs2 = 'n,,',
  ) {}
  first(): Buffer {
    this.bare = `n=${encodeSaslName(this.user)},r=${this.nonce}`;
    return Buffer.from(this.gs2 + this.bare);
  }
  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const attrs = Object.fromEntries(text.split(',').map((p) => [p[0], p.slice(2)]));
    if (!attrs.r.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    this.saltedPw = Hi(this.mechanism, this.password, Buffer.from(attrs.s, 'base64'), Number(attrs.i));
    const withoutProof = `c=${Buffer.from(this.gs2).toString('base64')},r=${attrs.r}`;
    this.authMessage = `${this.bare},${text},${withoutProof}`;
    const clientKey = HMAC(this.mechanism, this.saltedPw, 'Client Key');
    const signature = HMAC(this.mechanism, H(this.mechanism, clientKey), this.authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }
  verifyServerFinal(serverFinal: Buffer): boolean {
    const expected = HMAC(this.mechanism, HMAC(this.mechanism, this.saltedPw, 'Server Key'), this.authMessage);
    return serverFinal.toString() === `v=${expected.toString('base64')}`;
  }
}

function server(mechanism: ScramMechanism, credentials: ScramCredentialRecord[], serverNonce?: () => string): ScramSaslServer {
  const lookup: ScramCredentialLookup = (m, user) => credentials.find((c) => c.mechanism === m && c.user === user);
  return new ScramSaslServer(mechanism, { lookup, mockSaltSecret: Buffer.alloc(32, 7), clientHost: '127.0.0.1', serverNonce });
}

async function expectAuthFailure(promise: Promise<unknown>, reason?: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', ...(reason ? { reason } : {}) });
}

describe('SCRAM credentials', () => {
  it('derive SaltedPassword as RFC 5802 Hi does (server pbkdf2 vs the RFC loop)', async () => {
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const salt = randomBytes(24);
      expect(await saltedPassword(SCRAM_HASHES[m], 'pässword', salt, 4096)).toEqual(Hi(m, 'pässword', salt, 4096));
    }
  });

  it('refuse iterations outside Kafka\'s 4096..16384 and salted passwords of the wrong size', () => {
    const args = { user: 'a', mechanism: 'SCRAM-SHA-256' as const, tenant: null, salt: randomBytes(16) };
    expect(() => scramCredentialFromSaltedPassword({ ...args, saltedPassword: randomBytes(32), iterations: 4095 })).toThrow(/4096 to 16384/);
    expect(() => scramCredentialFromSaltedPassword({ ...args, saltedPassword: randomBytes(32), iterations: 16385 })).toThrow(/4096 to 16384/);
    expect(() => scramCredentialFromSaltedPassword({ ...args, saltedPassword: randomBytes(64), iterations: 4096 })).toThrow(/32 bytes/);
  });
});

describe('ScramSaslServer', () => {
  it('reproduces RFC 7677\'s SCRAM-SHA-256 example byte for byte', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const credential = scramCredentialFromSaltedPassword({
      user: 'user', mechanism: 'SCRAM-SHA-256', tenant: null, salt, saltedPassword: Hi('SCRAM-SHA-256', 'pencil', salt, 4096), iterations: 4096,
    });
    const s = server('SCRAM-SHA-256', [credential], () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = await s.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(first.complete).toBe(false);
    expect(first.challenge.toString()).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = await s.evaluate(
      Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(final.complete).toBe(true);
    expect(final.challenge.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(final.complete && final.identity).toMatchObject({ principal: 'User:user', credentialKind: 'sasl-scram-sha-256', tenant: null });
    expect(s.currentState).toBe('COMPLETE');
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: the RFC client logs in, checks the server's signature, and a wrong password fails at client-final`, async () => {
      const credential = await createScramCredential({ user: 'acme.a,b=c', mechanism, tenant: 'acme', password: 'correct horse', iterations: 4096 });
      const client = new RfcScramClient(mechanism, 'acme.a,b=c', 'correct horse');
      const s = server(mechanism, [credential]);
      const step1 = await s.evaluate(client.first());
      const step2 = await s.evaluate(client.final(step1.challenge));
      expect(step2.complete).toBe(true);
      expect(client.verifyServerFinal(step2.challenge)).toBe(true);
      expect(step2.complete && step2.identity).toMatchObject({ principal: 'User:acme.a,b=c', tenant: 'acme' });

      const wrong = new RfcScramClient(mechanism, 'acme.a,b=c', 'battery staple');
      const s2 = server(mechanism, [credential]);
      const wrongFirst = await s2.evaluate(wrong.first());
      await expectAuthFailure(s2.evaluate(wrong.final(wrongFirst.challenge)), 'invalid-credential');
      await expect(s2.evaluate(Buffer.from('anything'))).rejects.toMatchObject({ code: 'ILLEGAL_SASL_STATE' });
    });
  }

  it('answers an unknown user like a known one (stable fake salt, default iterations) and fails only at the proof', async () => {
    const credential = await createScramCredential({ user: 'alice', mechanism: 'SCRAM-SHA-256', tenant: null, password: 'pw-alice' });
    const a = await server('SCRAM-SHA-256', [credential]).evaluate(Buffer.from('n,,n=mallory,r=abc'));
    const b = await server('SCRAM-SHA-256', [credential]).evaluate(Buffer.from('n,,n=mallory,r=abc'));
    const saltOf = (challenge: Buffer) => challenge.toString().split(',')[1];
    expect(saltOf(a.challenge)).toBe(saltOf(b.challenge));
    expect(Buffer.from(saltOf(a.challenge).slice(2), 'base64')).toHaveLength(32);
    expect(a.challenge.toString()).toMatch(/,i=4096$/);
    const client = new RfcScramClient('SCRAM-SHA-256', 'mallory', 'guess', 'abc');
    const s = server('SCRAM-SHA-256', [credential]);
    const first = await s.evaluate(client.first());
    await expect(s.evaluate(client.final(first.challenge))).rejects.toMatchObject({
      message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
    });
  });

  it('refuses channel binding, a foreign authzid, delegation tokens, a changed nonce and a mismatched binding', async () => {
    const credential = await createScramCredential({ user: 'alice', mechanism: 'SCRAM-SHA-256', tenant: null, password: 'pw' });
    await expectAuthFailure(server('SCRAM-SHA-256', [credential]).evaluate(Buffer.from('p=tls-unique,,n=alice,r=x')), 'malformed');
    await expectAuthFailure(server('SCRAM-SHA-256', [credential]).evaluate(Buffer.from('n,a=bob,n=alice,r=x')), 'authzid-mismatch');
    await expectAuthFailure(server('SCRAM-SHA-256', [credential]).evaluate(Buffer.from('n,,n=alice,r=x,tokenauth=true')), 'unsupported');
    const client = new RfcScramClient('SCRAM-SHA-256', 'alice', 'pw');
    const s = server('SCRAM-SHA-256', [credential]);
    const first = await s.evaluate(client.first());
    const final = client.final(first.challenge).toString();
    // The combined nonce must end the final nonce (Kafka's check; librdkafka puts its own nonce in front).
    const changed = final.replace(/,r=([^,]*)/, (_m, n: string) => `,r=${n.slice(0, -1)}${n.endsWith('A') ? 'B' : 'A'}`);
    await expectAuthFailure(s.evaluate(Buffer.from(changed)), 'malformed');
    const s2 = server('SCRAM-SHA-256', [credential]);
    await s2.evaluate(client.first());
    await expectAuthFailure(s2.evaluate(Buffer.from(final.replace('c=biws', 'c=eSws'))));
  });

  it('accepts an authzid equal to the user, with the matching channel binding', async () => {
    const credential = await createScramCredential({ user: 'alice', mechanism: 'SCRAM-SHA-512', tenant: null, password: 'pw' });
    const client = new RfcScramClient('SCRAM-SHA-512', 'alice', 'pw', 'nonce123', 'n,a=alice,');
    const s = server('SCRAM-SHA-512', [credential]);
    const first = await s.evaluate(client.first());
    expect((await s.evaluate(client.final(first.challenge))).complete).toBe(true);
  });

  it('escapes and unescapes saslnames, refusing a bare "="', () => {
    expect(encodeSaslName('a,b=c')).toBe('a=2Cb=3Dc');
    expect(decodeSaslName('a=2Cb=3Dc')).toBe('a,b=c');
    expect(() => decodeSaslName('a=b')).toThrow(/2C or 3D/);
  });

  describe('hostile input (fast-check): only SASL_AUTHENTICATION_FAILED, never a crash or another error', () => {
    let credential: ScramCredentialRecord;
    beforeAll(async () => {
      credential = await createScramCredential({ user: 'alice', mechanism: 'SCRAM-SHA-256', tenant: null, password: 'pw' });
    });
    const failsCleanly = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        if (!isSecurityError(err) || err.code !== 'SASL_AUTHENTICATION_FAILED') throw err;
      }
    };
    const scramish = fc.array(fc.constantFrom('n', 'y', 'p', ',', '=', 'a', 'r', 'c', 's', 'i', '2C', '3D', 'biws', 'alice', '\u0000', 'é', 'x'), { maxLength: 40 }).map((parts) => parts.join(''));

    it('client-first: random bytes and SCRAM-shaped strings', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }).map(Buffer.from), scramish.map((s) => Buffer.from(s))), async (bytes) => {
          await failsCleanly(() => server('SCRAM-SHA-256', [credential]).evaluate(bytes));
        }),
        { numRuns: 400 },
      );
    });

    it('client-final after a valid client-first: random bytes and mutations of the right message never authenticate', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(200), async (noise, at) => {
          const client = new RfcScramClient('SCRAM-SHA-256', 'alice', 'pw');
          const s = server('SCRAM-SHA-256', [credential]);
          const right = client.final((await s.evaluate(client.first())).challenge);
          const cut = at % right.length;
          const mutated = Buffer.concat([right.subarray(0, cut), Buffer.from(noise), right.subarray(cut + 1)]);
          await failsCleanly(() => s.evaluate(mutated));
          expect(s.currentState === 'FAILED' || mutated.equals(right)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('an oversized message is refused before parsing', async () => {
      await expectAuthFailure(server('SCRAM-SHA-256', [credential]).evaluate(Buffer.alloc(1 << 20, 0x61)), 'malformed');
    });
  });
});
