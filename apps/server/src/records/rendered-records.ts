/**
 * Records rendered once, for every face: the JSON objects of consecutive records laid out in one
 * buffer, each followed by a comma,
 *
 *   {"offset":7,"timestamp":...,"key":...,"value":...,"headers":{...}},{"offset":8,...},
 *   ^ starts[0]                                                        ^ starts[1]        ^ starts[count]
 *
 * so the records i..j-1 of a WebSocket records frame are one slice of the buffer (no copy per
 * record), while SSE and HTTP fetch take each record's object and put their own fields
 * (topic, partition) in front. Immutable once built: feeds of many streams share one instance
 * (shared-reads.ts), and so do the frames built from it (frameFor).
 *
 * A WebSocket frame on the wire (RFC 6455 section 5.2, server to client, so unmasked) is
 *
 *   0x81                      FIN + opcode 1 (text)
 *   len | 126 + uint16 | 127 + uint64   payload length, big-endian, in the fewest bytes
 *   payload                   the records frame's JSON
 *
 * frameFor(..., wire = true) builds that whole sequence once, so the same bytes can be written to
 * every socket that is at this position of the partition. eventsFor does the same for SSE: the
 * events of a range of records, built once for every stream with the same event id around them
 * (all single-partition streams at this position).
 */

const EMPTY = Buffer.alloc(0);

/** A frame built from a range of records, for the next sharer asking for the same one. */
interface CachedFrame {
  readonly head: string;
  readonly from: number;
  readonly to: number;
  readonly wire: boolean;
  readonly frame: Buffer;
}

/** Bytes of the WebSocket frame header for a payload of `length` bytes. */
function wireHeaderBytes(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

function writeWireHeader(out: Buffer, length: number): void {
  out[0] = 0x81;
  if (length < 126) out[1] = length;
  else if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
}

/** SSE events built from a range of records, for the next stream asking for the same ones. */
interface CachedEvents {
  readonly idHead: string;
  readonly idTail: string;
  readonly from: number;
  readonly to: number;
  readonly events: Buffer;
}

export class RenderedRecords {
  static empty(nextOffset: number): RenderedRecords {
    return new RenderedRecords(EMPTY, new Int32Array(1), new Float64Array(0), nextOffset);
  }

  private cached: CachedFrame | null = null;
  private cachedEvents: CachedEvents | null = null;

  /**
   * @param buf the records' JSON, comma after each
   * @param starts where each record starts in `buf`, plus the end (count + 1 entries)
   * @param offsets each record's offset
   * @param nextOffset the offset to read after the batches these came from
   */
  constructor(
    readonly buf: Buffer,
    readonly starts: Int32Array,
    readonly offsets: Float64Array,
    readonly nextOffset: number,
  ) {}

  get count(): number {
    return this.offsets.length;
  }

  /** UTF-8 length of record `i`'s JSON object: what it costs against WebSocket byte credit. */
  bytes(i: number): number {
    return this.starts[i + 1] - this.starts[i] - 1;
  }

  /** Total JSON bytes of records from..to-1 (commas not counted). */
  bytesOf(from: number, to: number): number {
    return this.starts[to] - this.starts[from] - (to - from);
  }

  /** Record `i`'s JSON object `{...}` (a view). */
  json(i: number): Buffer {
    return this.buf.subarray(this.starts[i], this.starts[i + 1] - 1);
  }

  /** Records from..to-1 as the inside of a JSON array: `{...},{...}` (a view). */
  arrayBody(from: number, to: number): Buffer {
    return from >= to ? EMPTY : this.buf.subarray(this.starts[from], this.starts[to] - 1);
  }

  /**
   * `head` + `"bytes":<n>,"records":[` + records from..to-1 + `]}`: a WebSocket records frame
   * whose fields before `bytes` are `head` (which must end with a comma); with `wire`, preceded by
   * its WebSocket frame header (above). Streams at the same position with the same head (fan-out
   * to subscriptions with the same id) get the same Buffer.
   */
  frameFor(head: string, from: number, to: number, wire = false): Buffer {
    const cached = this.cached;
    if (cached !== null && cached.from === from && cached.to === to && cached.wire === wire && cached.head === head) return cached.frame;
    const prefix = `${head}"bytes":${this.bytesOf(from, to)},"records":[`;
    const body = this.arrayBody(from, to);
    const prefixBytes = Buffer.byteLength(prefix, 'utf8');
    const payloadBytes = prefixBytes + body.length + 2;
    const headerBytes = wire ? wireHeaderBytes(payloadBytes) : 0;
    const frame = Buffer.allocUnsafe(headerBytes + payloadBytes);
    if (wire) writeWireHeader(frame, payloadBytes);
    frame.write(prefix, headerBytes, 'utf8');
    body.copy(frame, headerBytes + prefixBytes);
    frame[frame.length - 2] = 0x5d; // ]
    frame[frame.length - 1] = 0x7d; // }
    this.cached = { head, from, to, wire, frame };
    return frame;
  }

  /**
   * Server-sent events for records from..to-1, one each:
   *
   *   <idHead><offset + 1><idTail><record's JSON after its opening brace>\n\n
   *
   * where `idTail` ends with the event's `data: ` line up to the record's own fields (for example
   * `\ndata: {"topic":"t","partition":0,`). Streams asking with the same id parts for the same
   * range (every single-partition stream at this position) get the same Buffer.
   */
  eventsFor(idHead: string, idTail: string, from: number, to: number): Buffer {
    const cached = this.cachedEvents;
    if (cached !== null && cached.from === from && cached.to === to && cached.idHead === idHead && cached.idTail === idTail) return cached.events;
    const heads: string[] = [];
    let size = 0;
    for (let i = from; i < to; i++) {
      const head = `${idHead}${this.offsets[i] + 1}${idTail}`;
      heads.push(head);
      size += Buffer.byteLength(head, 'utf8') + (this.starts[i + 1] - this.starts[i] - 2) + 2;
    }
    const events = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = from; i < to; i++) {
      at += events.write(heads[i - from], at, 'utf8');
      at += this.buf.copy(events, at, this.starts[i] + 1, this.starts[i + 1] - 1);
      events[at++] = 0x0a;
      events[at++] = 0x0a;
    }
    this.cachedEvents = { idHead, idTail, from, to, events };
    return events;
  }
}
