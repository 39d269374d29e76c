import { constantTimeEqual } from './constant-time.js';

describe('constantTimeEqual', () => {
  const secret = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');

  it('is true for the same bytes, buffers or strings', () => {
    expect(constantTimeEqual(secret, Buffer.from(secret))).toBe(true);
    expect(constantTimeEqual('spk_secret', 'spk_secret')).toBe(true);
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
    expect(constantTimeEqual('é', Buffer.from('c3a9', 'hex'))).toBe(true);
  });

  it('is false when one byte differs, wherever it is', () => {
    for (let i = 0; i < secret.length; i++) {
      const other = Buffer.from(secret);
      other[i] ^= 0x01;
      expect(constantTimeEqual(secret, other)).toBe(false);
    }
  });

  it('is false for different lengths, without throwing (timingSafeEqual alone throws)', () => {
    expect(constantTimeEqual(secret, secret.subarray(0, secret.length - 1))).toBe(false);
    expect(constantTimeEqual(secret.subarray(0, 1), secret)).toBe(false);
    expect(constantTimeEqual(secret, Buffer.concat([secret, Buffer.from([0])]))).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), secret)).toBe(false);
  });

  it('is false for a prefix padded with zero bytes (no length taken from content)', () => {
    const padded = Buffer.alloc(secret.length + 4);
    secret.copy(padded);
    expect(constantTimeEqual(secret, padded)).toBe(false);
    expect(constantTimeEqual(padded, secret)).toBe(false);
  });
});
