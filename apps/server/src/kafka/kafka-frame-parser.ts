/**
 * Splits a Kafka TCP byte stream into request frames.
 *
 *   frame   int32 size (big-endian, bytes that follow, 0..maxFrameBytes), then `size` bytes
 *           (request header + body, decoded elsewhere)
 *
 * Bytes arrive in chunks cut anywhere (inside the size prefix, inside a frame, several frames in
 * one chunk). The parser keeps the chunks as they came and copies only to join the pieces of a
 * frame that spans chunks, once the whole frame is there; a frame inside one chunk is a view of
 * it. The size prefix is checked against `maxFrameBytes` (Kafka's socket.request.max.bytes) as
 * soon as its 4 bytes are in, before anything is allocated for the frame: a hostile prefix costs
 * nothing but the connection (the caller closes it on FrameSizeError).
 */

export class FrameSizeError extends Error {
  constructor(
    readonly size: number,
    readonly maxFrameBytes: number,
  ) {
    super(
      size < 0
        ? `request size prefix ${size} is negative`
        : `request size prefix ${size} exceeds socket.request.max.bytes ${maxFrameBytes}`,
    );
    this.name = 'FrameSizeError';
  }
}

export class KafkaFrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being collected, once its prefix is read; -1 while waiting for a prefix. */
  private frameSize = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for an incomplete frame (bounded by 4 + maxFrameBytes + one chunk). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds one chunk; returns the frames it completed, in order. Throws FrameSizeError. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes);
        this.frameSize = size;
      }
      if (this.buffered < this.frameSize) break;
      frames.push(this.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }

  /** Removes `n <= buffered` bytes from the front: a view if they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0];
      const used = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, used);
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    return out;
  }
}
