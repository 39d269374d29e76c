/**
 * The inter-broker SASL client: RFC 7677's SCRAM-SHA-256 example exchange byte for byte (a vector
 * nobody here wrote), a full login against libs/security's SCRAM server for both mechanisms, and
 * the refusals of a server that does not hold the credential (wrong signature), of a server-first
 * without the client's nonce, and of iterations outside Kafka's range.
 */
import { createScramCredential, ScramSaslServer, type ScramCredentialRecord } from '@spool/security';
import { saslClientExchange } from './sasl-client.js';

const RFC_CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const RFC_SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

describe('saslClientExchange', () => {
  it("produces RFC 7677's SCRAM-SHA-256 example messages and accepts its server signature", async () => {
    const exchange = saslClientExchange({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil' }, RFC_CLIENT_NONCE);
    expect(exchange.first().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await exchange.next(Buffer.from(RFC_SERVER_FIRST));
    expect(final!.toString()).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(await exchange.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull();
  });

  it('refuses a server signature that does not match (the peer does not hold the credential)', async () => {
    const exchange = saslClientExchange({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil' }, RFC_CLIENT_NONCE);
    exchange.first();
    await exchange.next(Buffer.from(RFC_SERVER_FIRST));
    await expect(exchange.next(Buffer.from(`v=${Buffer.alloc(32, 1).toString('base64')}`))).rejects.toThrow(/signature does not match/);
  });

  it('refuses a server-first without its nonce, or with iterations outside 4096..16384', async () => {
    const noNonce = saslClientExchange({ mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' }, 'abc');
    noNonce.first();
    await expect(noNonce.next(Buffer.from('r=xyz123,s=QUJD,i=4096'))).rejects.toThrow(/nonce/);
    const slow = saslClientExchange({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' }, 'abc');
    slow.first();
    await expect(slow.next(Buffer.from('r=abcdef,s=QUJD,i=100000000'))).rejects.toThrow(/iterations/);
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('logs in to the SCRAM server with %s', async (mechanism) => {
    const credential: ScramCredentialRecord = await createScramCredential({ user: 'spool-broker', mechanism, tenant: null, password: 'inter-broker-password' });
    const server = new ScramSaslServer(mechanism, { lookup: (m, u) => (m === mechanism && u === 'spool-broker' ? credential : undefined), mockSaltSecret: Buffer.alloc(32), clientHost: '127.0.0.1' });
    const exchange = saslClientExchange({ mechanism, username: 'spool-broker', password: 'inter-broker-password' });
    let token: Buffer | null = exchange.first();
    let identity: unknown;
    while (token !== null) {
      const step = await server.evaluate(token);
      if (step.complete) identity = step.identity;
      token = await exchange.next(step.challenge);
    }
    expect(identity).toMatchObject({ principal: 'User:spool-broker' });
    const wrong = saslClientExchange({ mechanism, username: 'spool-broker', password: 'not-it' });
    const wrongServer = new ScramSaslServer(mechanism, { lookup: () => credential, mockSaltSecret: Buffer.alloc(32), clientHost: '127.0.0.1' });
    const first = await wrongServer.evaluate(wrong.first());
    await expect(wrongServer.evaluate((await wrong.next(first.challenge))!)).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
  });
});
