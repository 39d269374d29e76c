import { crc32c } from './crc32c.js';

describe('crc32c (Castagnoli)', () => {
  it("matches Kafka's Crc32CTest vector", () => {
    // org.apache.kafka.common.utils.Crc32CTest#testValue
    expect(crc32c(Buffer.from('Some String'))).toBe(608512271);
  });

  it('matches the standard check value and the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('accepts a Uint8Array view at an offset', () => {
    const backing = new Uint8Array([0xaa, ...Buffer.from('123456789'), 0xbb]);
    expect(crc32c(backing.subarray(1, 10))).toBe(0xe3069283);
  });
});
