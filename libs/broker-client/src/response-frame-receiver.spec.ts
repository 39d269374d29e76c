import { ResponseFrameSizeError } from './response-frame-reader.js';
import { ResponseFrameReceiver } from './response-frame-receiver.js';

function frame(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

/** What a socket read does with `onread`: ask for the next buffer, copy up to its length into it, report. */
function feed(receiver: ResponseFrameReceiver, bytes: Buffer, maxRead = Infinity): void {
  let pos = 0;
  while (pos < bytes.length) {
    const target = receiver.nextBuffer();
    const n = Math.min(target.length, bytes.length - pos, maxRead);
    bytes.copy(target, 0, pos, pos + n);
    receiver.onRead(n, target);
    pos += n;
  }
}

function collector(scratchBytes = 16): { receiver: ResponseFrameReceiver; frames: Buffer[]; errors: ResponseFrameSizeError[] } {
  const frames: Buffer[] = [];
  const errors: ResponseFrameSizeError[] = [];
  const receiver = new ResponseFrameReceiver(4096, (f) => frames.push(f), (e) => errors.push(e), scratchBytes);
  return { receiver, frames, errors };
}

const payloads = [Buffer.from([0, 0, 0, 1]), Buffer.from('correlation+body, longer than the scratch buffer of 16 bytes'), Buffer.from([0, 0, 0, 3, 9, 9])];
const stream = Buffer.concat(payloads.map(frame));

describe('ResponseFrameReceiver', () => {
  it('yields the same frames whatever the reads (every read size, scratch smaller and larger than a frame)', () => {
    for (const scratch of [5, 16, 1024]) {
      for (let maxRead = 1; maxRead <= stream.length; maxRead++) {
        const { receiver, frames, errors } = collector(scratch);
        feed(receiver, stream, maxRead);
        expect({ scratch, maxRead, frames }).toEqual({ scratch, maxRead, frames: payloads });
        expect(errors).toEqual([]);
        expect(receiver.bufferedBytes).toBe(0);
      }
    }
  });

  it('reads the rest of a frame longer than the scratch buffer straight into the frame, and never hands out the scratch buffer', () => {
    const { receiver, frames } = collector(16);
    const big = Buffer.alloc(3000, 7);
    const bytes = frame(big);
    const first = receiver.nextBuffer();
    bytes.copy(first, 0, 0, first.length);
    receiver.onRead(first.length, first);
    // The prefix and 12 bytes are in: the next read targets the frame's remaining 2988 bytes.
    const tail = receiver.nextBuffer();
    expect(tail.length).toBe(3000 - 12);
    bytes.copy(tail, 0, 16);
    receiver.onRead(tail.length, tail);
    expect(frames).toEqual([big]);
    tail[0] = 99; // the frame's own memory, not a copy of it
    expect(frames[0][12]).toBe(99);
    expect(receiver.nextBuffer()).toBe(first); // back to the scratch buffer
    // A small frame is a copy: later reads into the scratch buffer do not change it.
    feed(receiver, frame(Buffer.from('abcd')));
    feed(receiver, frame(Buffer.from('wxyz')));
    expect(frames.slice(1).map(String)).toEqual(['abcd', 'wxyz']);
  });

  it('refuses a size prefix above the limit, negative, or too small for a correlation id, once its 4 bytes are in, and then reads no frame', () => {
    for (const size of [4097, 0x7fff_ffff, -1, 0, 3]) {
      const { receiver, frames, errors } = collector();
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size);
      feed(receiver, prefix.subarray(0, 3));
      expect(errors).toEqual([]);
      feed(receiver, Buffer.concat([prefix.subarray(3), frame(Buffer.from('next'))]));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ResponseFrameSizeError);
      expect(errors[0].size).toBe(size);
      expect(frames).toEqual([]);
    }
  });

  it('hands over nothing after stop()', () => {
    const { receiver, frames } = collector();
    feed(receiver, stream.subarray(0, 10));
    receiver.stop();
    feed(receiver, stream.subarray(10));
    expect(frames).toEqual([payloads[0]]);
  });
});
