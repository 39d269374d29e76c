/** Our signatures judged by the `standardwebhooks` package (a verifier nobody here wrote). */
import { Webhook } from 'standardwebhooks';
import { generateSecret, secretKey, signatureHeaders, signMessage } from './signing.js';

describe('Standard Webhooks signing', () => {
  it('is verified by the standardwebhooks package, and a changed body, id or timestamp is not', () => {
    const secret = generateSecret();
    const body = '{"type":"spool.records","records":[{"offset":7,"value":"héllo"}]}';
    const now = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders([secretKey(secret)], 'orders-hook.orders-0-7', now, Buffer.from(body));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verifier = new Webhook(secret);
    expect(verifier.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => verifier.verify(body.replace('7', '8'), headers)).toThrow();
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'other' })).toThrow();
    expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': String(now - 1) })).toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
  });

  it('signs with every key during a rotation (space-separated), and either secret verifies', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    const now = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders([secretKey(a), secretKey(b)], 'id-1', now, '{"n":1}');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(a).verify('{"n":1}', headers)).toEqual({ n: 1 });
    expect(new Webhook(b).verify('{"n":1}', headers)).toEqual({ n: 1 });
  });

  it('matches the Standard Webhooks specification example', () => {
    // The example of the specification's reference libraries: id msg_p5jXN8AQM9LWM0D4loKWxJek,
    // timestamp 1614265330, body {"test": 2432232314}, secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw.
    const key = secretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(signMessage(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('generates whsec_ secrets of 32 random bytes and refuses malformed ones', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(secret)).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
    for (const bad of ['', 'whsec_', 'whsec_c2hvcnQ=', 'secret_' + secret.slice(6), 'whsec_!!!!']) expect(() => secretKey(bad)).toThrow(/INVALID_SECRET|whsec_/);
  });
});
