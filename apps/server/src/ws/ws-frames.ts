/**
 * The frames of the WebSocket protocol (docs/websocket-protocol.md): JSON text frames, one
 * object each, discriminated by `type`. `parseClientFrame` checks a frame completely before the
 * connection acts on it; anything malformed is an INVALID_REQUEST naming the field, answered
 * with an error frame (the connection stays open).
 */
import { SpoolError } from '@spool/common';
import type { StartFrom } from '../records/delivery/start-position.js';
import { readFormatsOf, type ReadFormats } from '../records/record-formats.js';

export type AssignorChoice = 'range' | 'roundrobin' | 'cooperative-sticky';

export interface SubscribeFrame {
  readonly type: 'subscribe';
  readonly id: string;
  readonly topic: string;
  readonly partitions?: readonly number[];
  readonly from: StartFrom;
  /** Per-partition start offsets that override `from` (a reconnecting client resumes with these). */
  readonly positions?: readonly { readonly partition: number; readonly offset: number }[];
  readonly formats: ReadFormats;
}

export interface JoinFrame {
  readonly type: 'join';
  readonly id: string;
  readonly group: string;
  readonly topics: readonly string[];
  readonly assignor: AssignorChoice;
  /** Where partitions without a committed offset start (Kafka's auto.offset.reset); default latest. */
  readonly from: 'earliest' | 'latest';
  readonly formats: ReadFormats;
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly clientId?: string;
}

export interface OffsetFrameEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface CommitFrame {
  readonly type: 'commit';
  readonly id: string;
  readonly group: string;
  readonly offsets: readonly OffsetFrameEntry[];
  /** The generation the committed records were delivered in; a stale one is ILLEGAL_GENERATION. */
  readonly generationId?: number;
}

export interface CreditFrame {
  readonly type: 'credit';
  readonly records: number;
  readonly bytes: number;
}

export interface PauseFrame {
  readonly type: 'pause' | 'resume';
  readonly topic: string;
  readonly partitions?: readonly number[];
}

export interface ProduceFrame {
  readonly type: 'produce';
  readonly id: string;
  readonly topic: string;
  readonly records: unknown;
  readonly acks?: unknown;
  readonly keyFormat?: unknown;
  readonly valueFormat?: unknown;
  readonly format?: unknown;
  readonly keySchema?: unknown;
  readonly valueSchema?: unknown;
}

export interface CloseSubscriptionFrame {
  readonly type: 'unsubscribe' | 'leave';
  readonly id: string;
}

/** Logs in (first frame of a connection opened without a credential) or renews the credential. */
export interface AuthenticateFrame {
  readonly type: 'authenticate';
  readonly id?: string;
  readonly token: unknown;
}

export type ClientFrame = AuthenticateFrame | SubscribeFrame | JoinFrame | CommitFrame | CreditFrame | PauseFrame | ProduceFrame | CloseSubscriptionFrame;

type Obj = Record<string, unknown>;

function bad(field: string, expected: string, frameId?: string): SpoolError {
  return new SpoolError('INVALID_REQUEST', `invalid frame: ${field} must be ${expected}`, { field, ...(frameId !== undefined && { id: frameId }) });
}

function isCount(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

function str(o: Obj, field: string, id?: string, maxLength = 249): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) throw bad(field, `a non-empty string of at most ${maxLength} characters`, id);
  return v;
}

function optionalCount(o: Obj, field: string, id: string | undefined, max?: number): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!isCount(v, max)) throw bad(field, `an integer in 0..${max ?? Number.MAX_SAFE_INTEGER}`, id);
  return v;
}

function partitionList(o: Obj, id?: string): number[] | undefined {
  const v = o.partitions;
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((p) => isCount(p, 2_147_483_647))) throw bad('partitions', 'a non-empty array of partition numbers', id);
  return [...new Set(v as number[])];
}

function formats(o: Obj, id?: string): ReadFormats {
  try {
    return readFormatsOf(o, 'field');
  } catch (err) {
    const e = err as SpoolError;
    throw new SpoolError(e.code, `invalid frame: ${e.message}`, { ...e.details, ...(id !== undefined && { id }) });
  }
}

function startFrom(v: unknown, id?: string): StartFrom {
  if (v === undefined || v === 'latest') return 'latest';
  if (v === 'earliest') return 'earliest';
  if (typeof v === 'object' && v !== null) {
    const o = v as Obj;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'offset' && isCount(o.offset)) return { offset: o.offset };
    if (keys.length === 1 && keys[0] === 'timestamp' && isCount(o.timestamp)) return { timestamp: o.timestamp };
  }
  throw bad('from', '"earliest", "latest", { "offset": n } or { "timestamp": ms }', id);
}

function positionList(v: unknown, id?: string): Array<{ partition: number; offset: number }> | undefined {
  if (v === undefined) return undefined;
  const ok = Array.isArray(v) && v.every((e) => typeof e === 'object' && e !== null && isCount((e as Obj).partition, 2_147_483_647) && isCount((e as Obj).offset));
  if (!ok) throw bad('positions', 'an array of { partition, offset }', id);
  return (v as Obj[]).map((e) => ({ partition: e.partition as number, offset: e.offset as number }));
}

function assignor(v: unknown, id: string): AssignorChoice {
  if (v === undefined) return 'range';
  if (v === 'range' || v === 'roundrobin' || v === 'cooperative-sticky') return v;
  throw bad('assignor', 'one of range, roundrobin, cooperative-sticky', id);
}

/** Parses one text frame; throws SpoolError INVALID_REQUEST (details.id: the frame's id, if any). */
export function parseClientFrame(text: string): ClientFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SpoolError('INVALID_REQUEST', 'invalid frame: not JSON', { field: 'frame' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('frame', 'a JSON object');
  const o = parsed as Obj;
  const id = typeof o.id === 'string' ? o.id : undefined;
  switch (o.type) {
    case 'subscribe':
      return {
        type: 'subscribe',
        id: str(o, 'id', id, 256),
        topic: str(o, 'topic', id),
        partitions: partitionList(o, id),
        from: startFrom(o.from, id),
        positions: positionList(o.positions, id),
        formats: formats(o, id),
      };
    case 'join': {
      const topics = o.topics;
      if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 249)) {
        throw bad('topics', 'a non-empty array of topic names', id);
      }
      const from = o.from === undefined ? 'latest' : o.from;
      if (from !== 'earliest' && from !== 'latest') throw bad('from', '"earliest" or "latest"', id);
      const clientId = o.clientId === undefined ? undefined : str(o, 'clientId', id, 255);
      return {
        type: 'join',
        id: str(o, 'id', id, 256),
        group: str(o, 'group', id, 255),
        topics: [...new Set(topics as string[])],
        assignor: assignor(o.assignor, str(o, 'id', id, 256)),
        from,
        formats: formats(o, id),
        sessionTimeoutMs: optionalCount(o, 'sessionTimeoutMs', id),
        rebalanceTimeoutMs: optionalCount(o, 'rebalanceTimeoutMs', id),
        ...(clientId !== undefined && { clientId }),
      };
    }
    case 'commit': {
      const offsets = o.offsets;
      if (!Array.isArray(offsets) || offsets.length === 0) throw bad('offsets', 'a non-empty array of { topic, partition, offset }', id);
      const parsedOffsets = offsets.map((e: unknown, i) => {
        const entry = (typeof e === 'object' && e !== null ? e : {}) as Obj;
        if (typeof entry.topic !== 'string' || !isCount(entry.partition, 2_147_483_647) || !isCount(entry.offset)) {
          throw bad(`offsets[${i}]`, '{ topic: string, partition: integer, offset: integer >= 0 }', id);
        }
        return { topic: entry.topic, partition: entry.partition, offset: entry.offset };
      });
      const generationId = o.generationId === undefined ? undefined : optionalCount(o, 'generationId', id, 2_147_483_647);
      return { type: 'commit', id: str(o, 'id', id, 256), group: str(o, 'group', id, 255), offsets: parsedOffsets, ...(generationId !== undefined && { generationId }) };
    }
    case 'credit': {
      const records = optionalCount(o, 'records', id) ?? 0;
      const bytes = optionalCount(o, 'bytes', id) ?? 0;
      return { type: 'credit', records, bytes };
    }
    case 'pause':
    case 'resume':
      return { type: o.type, topic: str(o, 'topic', id), partitions: partitionList(o, id) };
    case 'produce':
      return {
        type: 'produce',
        id: str(o, 'id', id, 256),
        topic: str(o, 'topic', id),
        records: o.records,
        acks: o.acks,
        keyFormat: o.keyFormat,
        valueFormat: o.valueFormat,
        format: o.format,
        keySchema: o.keySchema,
        valueSchema: o.valueSchema,
      };
    case 'unsubscribe':
    case 'leave':
      return { type: o.type, id: str(o, 'id', id, 256) };
    case 'authenticate':
      // The token is checked by ws-auth.ts (its errors must not echo it).
      return { type: 'authenticate', ...(o.id !== undefined && { id: str(o, 'id', id, 256) }), token: o.token };
    default:
      throw bad('type', 'one of authenticate, subscribe, join, commit, credit, pause, resume, produce, unsubscribe, leave', id);
  }
}
