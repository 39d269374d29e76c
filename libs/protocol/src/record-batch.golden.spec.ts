import { decodeRecordBatch, encodeRecordBatch } from './record-batch.codec.js';
import { crc32c } from './crc32c.js';
import { validateRecordBatch } from './record-batch-header.js';

/**
 * A record batch v2 derived by hand from Kafka's format (DefaultRecordBatch / DefaultRecord),
 * field by field; docs/storage-format.md shows the same bytes. The CRC was computed with an
 * independent bitwise CRC-32C (reflected polynomial 0x82F63B78) over bytes 21..84.
 *
 * Records: offset 0, t=1700000000000, key "k1", value "v1", no headers;
 *          offset 1, t=1700000000005, key null, value "v2", header h="x".
 */
const GOLDEN: [hex: string, field: string][] = [
  ['0000000000000000', 'baseOffset            int64   0'],
  ['00000049', 'batchLength           int32   73 = 85 - 12'],
  ['ffffffff', 'partitionLeaderEpoch  int32   -1'],
  ['02', 'magic                 int8    2'],
  ['6a8990a3', 'crc                   uint32  CRC-32C of bytes 21..84'],
  ['0000', 'attributes            int16   no compression, CreateTime'],
  ['00000001', 'lastOffsetDelta       int32   1'],
  ['0000018bcfe56800', 'baseTimestamp         int64   1700000000000'],
  ['0000018bcfe56805', 'maxTimestamp          int64   1700000000005'],
  ['ffffffffffffffff', 'producerId            int64   -1'],
  ['ffff', 'producerEpoch         int16   -1'],
  ['ffffffff', 'baseSequence          int32   -1'],
  ['00000002', 'recordCount           int32   2'],
  // record 0: 11 bytes
  ['14', 'length          varint  10 (zigzag 20)'],
  ['00', 'attributes      int8    0'],
  ['00', 'timestampDelta  varlong 0'],
  ['00', 'offsetDelta     varint  0'],
  ['04', 'keyLength       varint  2 (zigzag 4)'],
  ['6b31', 'key                     "k1"'],
  ['04', 'valueLength     varint  2'],
  ['7631', 'value                   "v1"'],
  ['00', 'headerCount     varint  0'],
  // record 1: 13 bytes
  ['18', 'length          varint  12 (zigzag 24)'],
  ['00', 'attributes      int8    0'],
  ['0a', 'timestampDelta  varlong 5 (zigzag 10)'],
  ['02', 'offsetDelta     varint  1 (zigzag 2)'],
  ['01', 'keyLength       varint  -1 = null key (zigzag 1)'],
  ['04', 'valueLength     varint  2'],
  ['7632', 'value                   "v2"'],
  ['02', 'headerCount     varint  1'],
  ['02', 'headerKeyLength varint  1'],
  ['68', 'headerKey               "h"'],
  ['02', 'headerValueLen  varint  1'],
  ['78', 'headerValue             "x"'],
];
const goldenBytes = Buffer.from(GOLDEN.map(([hex]) => hex).join(''), 'hex');

const T0 = 1_700_000_000_000;

describe('record batch v2 golden bytes', () => {
  it('is 85 bytes and its CRC is the CRC-32C of bytes 21..84', () => {
    expect(goldenBytes.length).toBe(85);
    expect(crc32c(goldenBytes.subarray(21))).toBe(0x6a8990a3);
    expect(validateRecordBatch(goldenBytes).crc).toBe(0x6a8990a3);
  });

  it('encode(values) == golden', () => {
    const encoded = encodeRecordBatch({
      records: [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
        { key: null, value: Buffer.from('v2'), timestamp: T0 + 5, headers: [{ key: 'h', value: Buffer.from('x') }] },
      ],
    });
    expect(encoded.toString('hex')).toBe(goldenBytes.toString('hex'));
  });

  it('decode(golden) == values', () => {
    const { header, records } = decodeRecordBatch(goldenBytes);
    expect(header).toEqual({
      baseOffset: 0,
      batchLength: 73,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: 0x6a8990a3,
      attributes: 0,
      lastOffsetDelta: 1,
      baseTimestamp: T0,
      maxTimestamp: T0 + 5,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 2,
    });
    expect(records).toEqual([
      { offset: 0, timestamp: T0, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [] },
      { offset: 1, timestamp: T0 + 5, key: null, value: Buffer.from('v2'), headers: [{ key: 'h', value: Buffer.from('x') }] },
    ]);
  });

  it('baseOffset and partitionLeaderEpoch sit outside the CRC: rewriting them keeps the batch valid', () => {
    const copy = Buffer.from(goldenBytes);
    copy.writeBigInt64BE(1000n, 0);
    copy.writeInt32BE(7, 12);
    const { header, records } = decodeRecordBatch(copy);
    expect([header.baseOffset, header.partitionLeaderEpoch, header.crc]).toEqual([1000, 7, 0x6a8990a3]);
    expect(records.map((r) => r.offset)).toEqual([1000, 1001]);
  });
});
