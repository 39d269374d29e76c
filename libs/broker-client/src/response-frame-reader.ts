/**
 * Splits the byte stream a broker sends back into response frames.
 *
 *   frame   int32 size (big-endian: the bytes that follow, 4..maxResponseBytes), then `size` bytes:
 *           the response header (int32 correlationId, then tagged fields in flexible versions)
 *           and the body, decoded once the frame is matched to its request
 *
 * Chunks arrive cut anywhere. A frame inside one chunk is handed over as a view of it (a Fetch
 * response's record batches are not copied); a frame that spans chunks is joined with one copy
 * once all of it is there, never before. The size prefix is checked as soon as its 4 bytes are
 * in, before anything is allocated: a hostile or corrupt prefix (negative, below the 4 bytes of a
 * correlation id, or above `maxResponseBytes`) costs only the connection. Memory held is thus at
 * most one frame being collected plus the chunk that completed it.
 */

export class ResponseFrameSizeError extends Error {
  constructor(
    readonly size: number,
    readonly maxResponseBytes: number,
  ) {
    super(
      size > maxResponseBytes
        ? `response size prefix ${size} exceeds the limit of ${maxResponseBytes} bytes`
        : `response size prefix ${size} is too small for a response header (4 bytes at least)`,
    );
    this.name = 'ResponseFrameSizeError';
  }
}

export class ResponseFrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being collected once its prefix is read; -1 while waiting for a prefix. */
  private frameSize = -1;

  constructor(private readonly maxResponseBytes: number) {}

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds one chunk; returns the frames it completed, in order. Throws ResponseFrameSizeError. */
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
        if (size < 4 || size > this.maxResponseBytes) throw new ResponseFrameSizeError(size, this.maxResponseBytes);
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
