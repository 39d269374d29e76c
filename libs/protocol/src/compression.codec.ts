/**
 * Compression of the records section of a record batch v2. With compression, the bytes after
 * the 61-byte header are the whole run of records compressed as one stream; the header (and its
 * recordCount) stays uncompressed, and the CRC covers the compressed bytes.
 *
 *   0 none    records as they are
 *   1 gzip    a gzip stream (RFC 1952), as Java's GZIPOutputStream writes it; members may be
 *             concatenated. Decompression is bounded by a caller-given limit, so a small hostile
 *             batch (a "gzip bomb") cannot make the broker allocate without bound.
 *   2 snappy  decompression only (snappyjs, pure JS). Two framings, as Kafka's snappy-java reads
 *             them: xerial's stream (magic 82 'SNAPPY' 00, int32 version, int32 compatible, then
 *             blocks of int32 length + raw snappy; the Java client writes this) or one raw snappy
 *             block (librdkafka writes this). The raw block announces its length up front.
 *   3 lz4     decompression only (lz4js, pure JS): the LZ4 frame format (magic 04 22 4D 18), as
 *             Kafka writes it since magic 1. The bound is checked before allocating (the frame's
 *             content size, or blocks x block size).
 *   4 zstd    decompression only (fzstd, pure JS, streaming): output counted chunk by chunk.
 *   5-7       not defined by Kafka: CORRUPT_MESSAGE.
 *
 * The broker never compresses with snappy, lz4 or zstd: producers' batches are stored as sent
 * and only decompressed to validate them (Kafka does the same), so compressing them yields
 * UNSUPPORTED_COMPRESSION_TYPE. All directions are synchronous: a batch is at most
 * max.message.bytes, and the append path wants the result before it can assign offsets.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import lz4js from 'lz4js';
import snappyjs from 'snappyjs';
import { ProtocolError } from './protocol.error.js';
import { CompressionType } from './record-batch-header.js';

/** Default bound on the decompressed records of one batch. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

function unsupported(compression: number): ProtocolError {
  const name = CompressionType[compression];
  if (name === undefined) {
    return new ProtocolError('CORRUPT_MESSAGE', `unknown compression type id ${compression}`, { compression });
  }
  return new ProtocolError('UNSUPPORTED_COMPRESSION_TYPE', `compression with ${name.toLowerCase()} is not supported (only none and gzip; snappy, lz4 and zstd are decompressed only)`, {
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
    case CompressionType.Snappy:
      return decompressSnappy(data, maxBytes);
    case CompressionType.Lz4:
      return decompressLz4(data, maxBytes);
    case CompressionType.Zstd:
      return decompressZstd(data, maxBytes);
    default:
      throw unsupported(compression);
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function corrupt(codec: string, err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError('CORRUPT_MESSAGE', `${codec} records do not decompress: ${(err as Error).message}`);
}

/** Snappy: xerial's framing (blocks) or one raw block; see the top of the file. */
function decompressSnappy(data: Buffer, maxBytes: number): Buffer {
  try {
    if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
      return Buffer.from(snappyjs.uncompress(data, maxBytes));
    }
    const blocks: Buffer[] = [];
    let total = 0;
    for (let pos = XERIAL_HEADER_BYTES; pos < data.length; ) {
      if (pos + 4 > data.length) throw new ProtocolError('CORRUPT_MESSAGE', `snappy block length at position ${pos} is cut off (${data.length} bytes)`);
      const length = data.readInt32BE(pos);
      if (length < 0 || pos + 4 + length > data.length) {
        throw new ProtocolError('CORRUPT_MESSAGE', `snappy block at position ${pos} claims ${length} bytes, ${data.length - pos - 4} remain`);
      }
      const block = Buffer.from(snappyjs.uncompress(data.subarray(pos + 4, pos + 4 + length), maxBytes - total));
      total += block.length;
      blocks.push(block);
      pos += 4 + length;
    }
    return Buffer.concat(blocks, total);
  } catch (err) {
    if (err instanceof Error && /too big/.test(err.message)) throw tooLarge(maxBytes);
    throw corrupt('snappy', err);
  }
}

/** LZ4 frame; the bound (content size or blocks x block size) is checked before anything is allocated. */
function decompressLz4(data: Buffer, maxBytes: number): Buffer {
  let bound: number;
  try {
    bound = lz4js.decompressBound(data);
  } catch (err) {
    throw corrupt('lz4', err);
  }
  if (!Number.isFinite(bound) || bound < 0) throw new ProtocolError('CORRUPT_MESSAGE', `lz4 frame announces an invalid size ${bound}`);
  if (bound > maxBytes) throw tooLarge(maxBytes);
  try {
    const out = Buffer.alloc(bound);
    const size = lz4js.decompressFrame(data, out);
    if (!Number.isSafeInteger(size) || size > bound) throw new ProtocolError('CORRUPT_MESSAGE', `lz4 frame decoded to an invalid size ${size}`);
    return out.subarray(0, size);
  } catch (err) {
    throw corrupt('lz4', err);
  }
}

/** zstd, streaming: the output is counted as it is produced and refused past `maxBytes`. */
function decompressZstd(data: Buffer, maxBytes: number): Buffer {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let overflow = false;
  const stream = new ZstdDecompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) {
      overflow = true;
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  });
  try {
    stream.push(data, true);
  } catch (err) {
    if (overflow) throw tooLarge(maxBytes);
    throw corrupt('zstd', err);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number): ProtocolError {
  return new ProtocolError('MESSAGE_TOO_LARGE', `records of a batch decompress to more than the limit of ${maxBytes} bytes`, { maxBytes });
}
