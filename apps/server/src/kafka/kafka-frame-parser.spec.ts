import { FrameSizeError, KafkaFrameParser } from './kafka-frame-parser.js';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('KafkaFrameParser', () => {
  const bodies = [Buffer.from('first request'), Buffer.alloc(0), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), Buffer.alloc(300, 7)];
  const stream = Buffer.concat(bodies.map(frame));

  it('returns the same frames however the stream is cut in two, at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new KafkaFrameParser(1024);
      const frames = [...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))];
      expect(frames).toEqual(bodies);
      expect(parser.bufferedBytes).toBe(0);
    }
  });

  it('returns the same frames when fed one byte at a time', () => {
    const parser = new KafkaFrameParser(1024);
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...parser.push(stream.subarray(i, i + 1)));
    expect(frames).toEqual(bodies);
  });

  it('refuses a size prefix above the limit as soon as its 4 bytes are in, holding nothing for it', () => {
    const parser = new KafkaFrameParser(100 * 1024 * 1024);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(100 * 1024 * 1024 + 1);
    expect(parser.push(huge.subarray(0, 3))).toEqual([]);
    expect(() => parser.push(huge.subarray(3))).toThrow(FrameSizeError);
  });

  it('refuses a negative size prefix', () => {
    expect(() => new KafkaFrameParser(1024).push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(/negative/);
  });

  it('accepts a frame of exactly the limit', () => {
    const parser = new KafkaFrameParser(16);
    expect(parser.push(frame(Buffer.alloc(16, 1)))).toEqual([Buffer.alloc(16, 1)]);
  });
});
