import { capturingLogger } from './security.test-util.js';
import { redactingLogger, redactSecrets, redactString, REDACTED } from './redact.js';

const KEY = 'spk_0123456789abcdef0123_' + 'S'.repeat(43);
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl';

describe('redaction', () => {
  it('masks secret-named fields whatever their value, keeping the rest', () => {
    const out = redactSecrets({ password: 'p', Authorization: 'x', 'x-api-key': 'k', saltedPassword: Buffer.from('s'), nested: { apiKey: 7, keyId: 'abc' }, credentialId: 'safe' });
    expect(out).toEqual({ password: REDACTED, Authorization: REDACTED, 'x-api-key': REDACTED, saltedPassword: REDACTED, nested: { apiKey: REDACTED, keyId: 'abc' }, credentialId: 'safe' });
  });

  it('masks secrets by shape inside any string: API keys keep their id, JWTs, bearer/basic values, SCRAM proofs', () => {
    expect(redactString(`key=${KEY} end`)).toBe(`key=spk_0123456789abcdef0123_${REDACTED} end`);
    expect(redactString(`token ${TOKEN}`)).toBe('token [REDACTED-JWT]');
    expect(redactString('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString('basic dXNlcjpwdw==')).toBe(`basic ${REDACTED}`);
    expect(redactString('c=biws,r=abc,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')).toBe(`c=biws,r=abc,p=${REDACTED}`);
  });

  it('turns buffers into sizes, cuts cycles and deep nesting, and reads errors', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: KEY };
    for (let i = 0; i < 20; i++) deep = { deep };
    const out = JSON.stringify(redactSecrets({ bytes: Buffer.from('n,,n=u,r=x'), cyclic, deep, err: new Error(`bad ${KEY}`) }));
    expect(out).toContain('"bytes":"[10 bytes]"');
    expect(out).toContain('[Circular]');
    expect(out).toContain('[Truncated]');
    expect(out).not.toContain('S'.repeat(43));
  });

  it('redactingLogger cleans objects, messages and child bindings before they reach the logger', () => {
    const inner = capturingLogger();
    const logger = redactingLogger(inner).child({ token: TOKEN });
    logger.warn({ header: `Bearer ${KEY}`, password: 'hunter2' }, `login with ${KEY}`);
    const text = inner.lines.join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('S'.repeat(43));
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('spk_0123456789abcdef0123_');
  });
});
