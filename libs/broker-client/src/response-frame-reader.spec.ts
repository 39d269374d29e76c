import { ResponseFrameReader, ResponseFrameSizeError } from './response-frame-reader.js';

function frame(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

const payloads = [Buffer.from([0, 0, 0, 1]), Buffer.from('correlation+body, somewhat longer'), Buffer.from([0, 0, 0, 3, 9, 9])];
const stream = Buffer.concat(payloads.map(frame));

describe('ResponseFrameReader', () => {
  it('yields the same frames wherever the stream is cut in two', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new ResponseFrameReader(1024);
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect({ cut, frames }).toEqual({ cut, frames: payloads });
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('yields the same frames from single bytes', () => {
    const reader = new ResponseFrameReader(1024);
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...reader.push(stream.subarray(i, i + 1)));
    expect(frames).toEqual(payloads);
  });

  it('hands over a frame inside one chunk as a view, not a copy', () => {
    const reader = new ResponseFrameReader(1024);
    const [first] = reader.push(stream);
    expect(first.buffer).toBe(stream.buffer);
  });

  it('refuses a size prefix above the limit, negative, or too small for a correlation id, as soon as it is read', () => {
    for (const size of [1025, 0x7fff_ffff, -1, 0, 3]) {
      const reader = new ResponseFrameReader(1024);
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size);
      expect(reader.push(prefix.subarray(0, 3))).toEqual([]);
      expect(() => reader.push(prefix.subarray(3))).toThrow(ResponseFrameSizeError);
    }
  });
});
