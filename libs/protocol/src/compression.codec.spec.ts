import lz4js from 'lz4js';
import snappyjs from 'snappyjs';
import { decompressRecords } from './compression.codec.js';
import { CompressionType } from './record-batch-header.js';

const data = Buffer.from('record bytes '.repeat(500));

function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  return Buffer.concat([header, ...blocks.flatMap((b) => [Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 0xff)), b])]);
}

describe('decompressRecords (snappy, lz4, zstd: decompression only)', () => {
  it('snappy: a raw block (librdkafka) and xerial framing (Java client)', () => {
    expect(decompressRecords(CompressionType.Snappy, Buffer.from(snappyjs.compress(data)))).toEqual(data);
    const half = data.length / 2;
    const framed = xerial([Buffer.from(snappyjs.compress(data.subarray(0, half))), Buffer.from(snappyjs.compress(data.subarray(half)))]);
    expect(decompressRecords(CompressionType.Snappy, framed)).toEqual(data);
  });

  it('snappy: a block announcing more than the limit is MESSAGE_TOO_LARGE; garbage and cut frames are CORRUPT_MESSAGE', () => {
    expect(() => decompressRecords(CompressionType.Snappy, Buffer.from(snappyjs.compress(data)), 100)).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
    expect(() => decompressRecords(CompressionType.Snappy, Buffer.from([0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    const framed = xerial([Buffer.from(snappyjs.compress(data))]);
    expect(() => decompressRecords(CompressionType.Snappy, framed.subarray(0, framed.length - 5))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });

  it('lz4: the frame format round-trips; the bound is checked before allocating', () => {
    const frame = Buffer.from(lz4js.compress(data));
    expect(decompressRecords(CompressionType.Lz4, frame)).toEqual(data);
    expect(() => decompressRecords(CompressionType.Lz4, frame, 100)).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
    expect(() => decompressRecords(CompressionType.Lz4, Buffer.from('not an lz4 frame'))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });

  it('zstd: a frame made by the zstd CLI decodes; past the limit is MESSAGE_TOO_LARGE; garbage is CORRUPT_MESSAGE', () => {
    // printf 'spool zstd fixture ' x3 | zstd -c | xxd -p
    const frame = Buffer.from('28b52ffd0458cd00009873706f6f6c207a7374642066697874757265200100d933c333251699', 'hex');
    const text = 'spool zstd fixture spool zstd fixture spool zstd fixture';
    expect(decompressRecords(CompressionType.Zstd, frame).toString()).toBe(text);
    expect(() => decompressRecords(CompressionType.Zstd, frame, 10)).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
    expect(() => decompressRecords(CompressionType.Zstd, Buffer.from('definitely not zstd'))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});
