import { decodeStreamTimeMetadata, encodeStreamTimeMetadata, MAX_METADATA_CHARS } from './stream-time-metadata.codec.js';

describe('stream time offset metadata', () => {
  it('golden bytes: magic S, version 1, partition time, one node', () => {
    const encoded = encodeStreamTimeMetadata({ partitionTimeMs: 258, nodeStreamTimesMs: new Map([['AB', 1]]) });
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes.toString('hex')).toBe(['53', '01', '0000000000000102', '0001', '0002', '4142', '0000000000000001'].join(''));
  });

  it('round trips partition time and node stream times, including unknown (-1) and large timestamps', () => {
    const nodes = new Map([['KSTREAM-AGGREGATE-0000000003', 1_700_000_130_000], ['KSTREAM-SUPPRESS-0000000005', -1], ['join-é', Number.MAX_SAFE_INTEGER]]);
    const decoded = decodeStreamTimeMetadata(encodeStreamTimeMetadata({ partitionTimeMs: 1_700_000_130_000, nodeStreamTimesMs: nodes }));
    expect(decoded).toEqual({ partitionTimeMs: 1_700_000_130_000, nodeStreamTimesMs: nodes });
    expect(decodeStreamTimeMetadata(encodeStreamTimeMetadata({ partitionTimeMs: -1, nodeStreamTimesMs: new Map() }))).toEqual({ partitionTimeMs: -1, nodeStreamTimesMs: new Map() });
  });

  it('keeps within the offset metadata limit: too many nodes leave only the partition time', () => {
    const nodes = new Map(Array.from({ length: 200 }, (_, i) => [`KSTREAM-AGGREGATE-${String(i).padStart(10, '0')}`, i] as [string, number]));
    const encoded = encodeStreamTimeMetadata({ partitionTimeMs: 42, nodeStreamTimesMs: nodes });
    expect(encoded.length).toBeLessThanOrEqual(MAX_METADATA_CHARS);
    expect(decodeStreamTimeMetadata(encoded)).toEqual({ partitionTimeMs: 42, nodeStreamTimesMs: new Map() });
  });

  it('reads anything else as no stream time: empty, null, not base64, other magic or version, truncated, trailing bytes, out-of-range times', () => {
    const good = Buffer.from(encodeStreamTimeMetadata({ partitionTimeMs: 7, nodeStreamTimesMs: new Map([['n', 5]]) }), 'base64');
    const variants: (string | null | undefined)[] = [
      undefined,
      null,
      '',
      'event-id-3', // what an application might commit by hand
      '!!!',
      Buffer.concat([Buffer.from([2]), good.subarray(1)]).toString('base64'), // Kafka Streams' magic 2
      Buffer.concat([good.subarray(0, 1), Buffer.from([9]), good.subarray(2)]).toString('base64'),
      Buffer.concat([good, Buffer.from([0])]).toString('base64'),
      Buffer.concat([good.subarray(0, 2), Buffer.from('fffffffffffffffe', 'hex'), good.subarray(10)]).toString('base64'), // -2
      Buffer.concat([good.subarray(0, 2), Buffer.from('7fffffffffffffff', 'hex'), good.subarray(10)]).toString('base64'), // above 2^53
    ];
    for (let cut = 0; cut < good.length; cut++) variants.push(good.subarray(0, cut).toString('base64'));
    for (const metadata of variants) expect(decodeStreamTimeMetadata(metadata)).toBeUndefined();
    expect(decodeStreamTimeMetadata(good.toString('base64'))).toEqual({ partitionTimeMs: 7, nodeStreamTimesMs: new Map([['n', 5]]) });
  });
});
