/**
 * The framing of ResponseFrameReader (int32 size, then `size` bytes), for a plain TCP socket read
 * through net.Socket's `onread` option instead of 'data' events, so that receiving allocates
 * nothing but the frames themselves.
 *
 * Why: with 'data' events every socket read allocates a new chunk (up to 64 KiB), and a frame that
 * spans chunks is joined by one more copy, so a follower receiving 1 MB of records allocated about
 * 2 MB of Buffers. Buffer memory lies outside V8's heap but counts against its old-generation
 * limit until a collection frees it, and on a broker that limit settles a few MB above the live
 * heap: each few MB received started a full mark-compact of the whole heap (docs/benchmarks.md,
 * "Replication"). Here a read goes either into one reused scratch buffer (size prefixes, small
 * frames, the head of a large one) or straight into the tail of the frame being collected, whose
 * Buffer is allocated once its size prefix is in: each byte is copied at most once (from the
 * scratch buffer) and a large frame mostly not at all.
 *
 * Bounds: the size prefix is checked as soon as its 4 bytes are in (4..maxResponseBytes, as
 * ResponseFrameReader) and a bad one reported through `onError`, after which nothing more is read
 * into frames. A frame's Buffer is allocated when its prefix is read, not once its bytes are in:
 * memory held is at most one frame of maxResponseBytes plus the scratch buffer, the same bound as
 * ResponseFrameReader's, reached sooner by a peer that announces a large frame and stalls.
 *
 * Frames handed to `onFrame` are the receiver's to give away: never views of the scratch buffer,
 * so they may be kept (a Fetch response's records are appended from them after the read).
 */
import type { OnReadOpts } from 'node:net';
import { ResponseFrameSizeError } from './response-frame-reader.js';

/** Scratch buffer size: a socket read into it takes at most this much. */
export const RECEIVE_SCRATCH_BYTES = 64 * 1024;

export class ResponseFrameReceiver {
  private readonly scratch: Buffer;
  private readonly prefix = Buffer.alloc(4);
  private prefixFilled = 0;
  /** The frame being collected once its prefix is read. */
  private frame: Buffer | null = null;
  private frameFilled = 0;
  private failed = false;

  constructor(
    private readonly maxResponseBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onError: (err: ResponseFrameSizeError) => void,
    scratchBytes = RECEIVE_SCRATCH_BYTES,
  ) {
    this.scratch = Buffer.allocUnsafeSlow(scratchBytes); // its own memory, not a slice of Node's shared pool
  }

  /** For `onread.buffer`: where the next socket read goes (asked before each read). */
  readonly nextBuffer = (): Buffer => (this.frame !== null && !this.failed ? this.frame.subarray(this.frameFilled) : this.scratch);

  /** For `onread.callback`: `nread` bytes were read to the start of `buf` (what nextBuffer returned). */
  readonly onRead = (nread: number, buf: Buffer): void => {
    if (this.failed) return;
    if (buf !== this.scratch) {
      // Straight into the frame's tail (nextBuffer never hands out more than its rest).
      this.frameFilled += nread;
      if (this.frameFilled === this.frame!.length) this.emit();
      return;
    }
    let pos = 0;
    while (pos < nread) {
      if (this.frame === null) {
        const take = Math.min(4 - this.prefixFilled, nread - pos);
        this.scratch.copy(this.prefix, this.prefixFilled, pos, pos + take);
        this.prefixFilled += take;
        pos += take;
        if (this.prefixFilled < 4) return;
        this.prefixFilled = 0;
        const size = this.prefix.readInt32BE(0);
        if (size < 4 || size > this.maxResponseBytes) {
          this.failed = true;
          this.onError(new ResponseFrameSizeError(size, this.maxResponseBytes));
          return;
        }
        this.frame = Buffer.allocUnsafe(size);
        this.frameFilled = 0;
      }
      const take = Math.min(this.frame.length - this.frameFilled, nread - pos);
      this.scratch.copy(this.frame, this.frameFilled, pos, pos + take);
      this.frameFilled += take;
      pos += take;
      if (this.frameFilled === this.frame.length) this.emit();
      if (this.failed) return;
    }
  };

  /** net.connect's `onread` option for this receiver. */
  onreadOptions(): OnReadOpts {
    return {
      buffer: this.nextBuffer,
      callback: (nread, buf) => {
        this.onRead(nread, buf as Buffer);
        return true;
      },
    };
  }

  /** Bytes held for an incomplete frame (its prefix included). */
  get bufferedBytes(): number {
    return this.frame === null ? this.prefixFilled : 4 + this.frameFilled;
  }

  /** Stops handing frames over (the connection is closing). */
  stop(): void {
    this.failed = true;
    this.frame = null;
  }

  private emit(): void {
    const frame = this.frame!;
    this.frame = null;
    this.frameFilled = 0;
    this.onFrame(frame);
  }
}

/**
 * A plain socket's receiver, made before the socket (net.connect takes `onread` up front) and
 * attached to its BrokerConnection once connected; frames before that (none: a broker speaks only
 * when asked) are kept for it.
 */
export class ReceiverLink {
  readonly receiver: ResponseFrameReceiver;
  private onFrame: ((frame: Buffer) => void) | null = null;
  private onError: ((err: ResponseFrameSizeError) => void) | null = null;
  private early: Buffer[] = [];
  private earlyError: ResponseFrameSizeError | null = null;

  constructor(maxResponseBytes: number) {
    this.receiver = new ResponseFrameReceiver(
      maxResponseBytes,
      (frame) => (this.onFrame !== null ? this.onFrame(frame) : this.early.push(frame)),
      (err) => (this.onError !== null ? this.onError(err) : (this.earlyError = err)),
    );
  }

  attach(onFrame: (frame: Buffer) => void, onError: (err: ResponseFrameSizeError) => void): void {
    this.onFrame = onFrame;
    this.onError = onError;
    for (const frame of this.early.splice(0)) onFrame(frame);
    if (this.earlyError !== null) onError(this.earlyError);
  }
}
