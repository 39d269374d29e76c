/**
 * The processor graph: nodes are a blueprint shared by every task of an application; what a node
 * keeps per task (its stream time, a buffer's next close time) lives in the task's context, so one
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
  /**
   * Raises the stream time kept under `name` to `timestampMs` if that is larger and returns it. It
   * starts from what the task was seeded with (the committed stream time), else -1.
   */
  advanceStreamTime(name: string, timestampMs: number): number;
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

/**
 * Advances `owner`'s stream time in this task (Kafka's observedStreamTime: the largest timestamp it
 * has seen) and returns it. Stream time is kept by name so that a task can commit it and a task
 * starting elsewhere can seed it (stream-time-metadata.codec.ts).
 */
export function advanceStreamTime(owner: { readonly name: string }, ctx: ProcessorContext, timestamp: number): number {
  return ctx.advanceStreamTime(owner.name, timestamp);
}
