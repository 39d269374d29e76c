/**
 * CRC-32C (Castagnoli), the checksum of record batch v2. Native (SIMD) via @node-rs/crc32:
 * a JS table loop costs ~10x more on the append path.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `buf` as an unsigned 32-bit integer. */
export function crc32c(buf: Uint8Array): number {
  return nativeCrc32c(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) >>> 0;
}
