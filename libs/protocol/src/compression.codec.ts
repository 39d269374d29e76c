/**
 * Compression of the records section of a record batch v2. With compression, the bytes after
 * the 61-byte header are the whole run of records compressed as one stream; the header (and its
 * recordCount) stays uncompressed, and the CRC covers the compressed bytes.
 *
 *   0 none    records as they are
 *   1 gzip    a gzip stream (RFC 1952), as Java's GZIPOutputStream writes it; members may be
 *             concatenated. Decompression is bounded by a caller-given limit, so a small hostile
 *             batch (a "gzip bomb") cannot make the broker allocate without bound.
 *   2 snappy, 3 lz4, 4 zstd
 *             not supported yet: UNSUPPORTED_COMPRESSION_TYPE, both ways. They need native or
 *             third-party codecs (Kafka's snappy and lz4 also use their own framings).
 *   5-7       not defined by Kafka: CORRUPT_MESSAGE.
 *
 * Both directions are synchronous (zlib's *Sync): a batch is at most max.message.bytes, and the
 * append path wants the result before it can assign offsets.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ProtocolError } from './protocol.error.js';
import { CompressionType } from './record-batch-header.js';

/** Default bound on the decompressed records of one batch. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

function unsupported(compression: number): ProtocolError {
  const name = CompressionType[compression];
  if (name === undefined) {
    return new ProtocolError('CORRUPT_MESSAGE', `unknown compression type id ${compression}`, { compression });
  }
  return new ProtocolError('UNSUPPORTED_COMPRESSION_TYPE', `compression type ${name.toLowerCase()} is not supported yet (only none and gzip)`, {
    compression,
  });
}

/** Compresses a run of encoded records. */
export function compressRecords(compression: CompressionType, records: Buffer): Buffer {
  switch (compression) {
    case CompressionType.None:
      return records;
    case CompressionType.Gzip:
      return gzipSync(records);
    default:
      throw unsupported(compression);
  }
}

/**
 * Decompresses the records section of a batch (`none` returns `data` itself). Output larger than `maxBytes` is refused with
 * MESSAGE_TOO_LARGE as soon as zlib produces byte `maxBytes + 1` (it never holds more); a
 * stream zlib cannot decode is CORRUPT_MESSAGE.
 */
export function decompressRecords(compression: CompressionType, data: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ProtocolError('INVALID_REQUEST', `maxBytes must be a positive integer, got ${maxBytes}`);
  }
  switch (compression) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      try {
        return gunzipSync(data, { maxOutputLength: Math.min(maxBytes, bufferConstants.MAX_LENGTH) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
        throw new ProtocolError('CORRUPT_MESSAGE', `gzip records do not decompress: ${(err as Error).message}`, {
          zlibCode: (err as NodeJS.ErrnoException).code,
        });
      }
    default:
      throw unsupported(compression);
  }
}

function tooLarge(maxBytes: number): ProtocolError {
  return new ProtocolError('MESSAGE_TOO_LARGE', `records of a batch decompress to more than the limit of ${maxBytes} bytes`, { maxBytes });
}
