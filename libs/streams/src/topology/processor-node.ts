/**
 * The processor graph: nodes are a blueprint shared by every task of an application; what a node
 * keeps per task (its observed stream time, say) lives in the task's context (`ctx.local`), so one
 * graph serves any number of partitions. Processing is synchronous: a record goes depth-first
 * through the graph before the next one enters (Kafka Streams' model), so a store read sees every
 * earlier record of the task.
 */
import type { RawRecord, StreamRecord } from '../record.js';
import type { KeyValueStore } from '../state/key-value-store.js';

export interface ProcessorContext {
  /** The task's partition: partition N of every source topic goes to task N. */
  readonly partition: number;
  store(name: string): KeyValueStore;
  /** Hands a record to a topic (a sink or an internal repartition topic; the name is as the topology says it). */
  send(topic: string, record: RawRecord): void;
  /** This node's state in this task, made by `init` on first use. */
  local<T>(owner: object, init: () => T): T;
  /** Records dropped because their window had closed (late beyond the grace period). */
  recordLateDrop(node: ProcessorNode, record: StreamRecord): void;
}

export abstract class ProcessorNode {
  readonly children: ProcessorNode[] = [];

  constructor(readonly name: string) {}

  abstract process(record: StreamRecord, ctx: ProcessorContext): void;

  addChild(child: ProcessorNode): void {
    this.children.push(child);
  }

  protected forward(record: StreamRecord, ctx: ProcessorContext): void {
    for (const child of this.children) child.process(record, ctx);
  }
}

/** A node that turns each record into zero or more records (map, filter, flatMap, peek, merge's pass-through). */
export class StatelessNode extends ProcessorNode {
  constructor(
    name: string,
    private readonly fn: (record: StreamRecord) => Iterable<StreamRecord> | StreamRecord | undefined,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    const out = this.fn(record);
    if (out === undefined) return;
    if (isRecord(out)) this.forward(out, ctx);
    else for (const r of out) this.forward(r, ctx);
  }
}

function isRecord(value: Iterable<StreamRecord> | StreamRecord): value is StreamRecord {
  return typeof (value as StreamRecord).timestamp === 'number' && !(Symbol.iterator in (value as object));
}

/** The key of an owner's stream time in `ctx.local` (apart from the owner's own local state). */
const STREAM_TIME_KEYS = new WeakMap<object, object>();

/** The max timestamp a node has seen in this task: its stream time (Kafka's observedStreamTime). */
export function advanceStreamTime(owner: object, ctx: ProcessorContext, timestamp: number): number {
  let timeKey = STREAM_TIME_KEYS.get(owner);
  if (timeKey === undefined) STREAM_TIME_KEYS.set(owner, (timeKey = {}));
  const state = ctx.local(timeKey, () => ({ streamTimeMs: -1 }));
  if (timestamp > state.streamTimeMs) state.streamTimeMs = timestamp;
  return state.streamTimeMs;
}
