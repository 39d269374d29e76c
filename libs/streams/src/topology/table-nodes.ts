/**
 * Tables: every KTable is materialized in its own store (key JSON -> value JSON), and forwards each
 * update as a record whose value is the new value, or null when the key left the table (a tombstone).
 * Joins look the other side up in its store, so a table must be updated before it forwards.
 */
import type { StreamRecord } from '../record.js';
import { decodeJson, encodeJson } from '../state/store-keys.js';
import { ProcessorNode, type ProcessorContext } from './processor-node.js';

/** Materializes the updates it receives: a source table (topic -> table), or any table operator's result. */
export class TableMaterializeNode extends ProcessorNode {
  constructor(
    name: string,
    readonly storeName: string,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.key === null || record.key === undefined) return;
    const store = ctx.store(this.storeName);
    const storeKey = encodeJson(record.key);
    if (record.value === null || record.value === undefined) {
      if (store.get(storeKey) === undefined) return;
      store.put(storeKey, null);
      this.forward({ key: record.key, value: null, timestamp: record.timestamp }, ctx);
      return;
    }
    store.put(storeKey, encodeJson(record.value));
    this.forward(record, ctx);
  }
}

/** A table's filter or mapValues: a value that fails the filter becomes a tombstone (the key leaves the result table). */
export class TableTransformNode extends ProcessorNode {
  constructor(
    name: string,
    private readonly transform: (key: unknown, value: unknown) => { keep: boolean; value: unknown },
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (record.value === null || record.value === undefined) {
      this.forward(record, ctx);
      return;
    }
    const out = this.transform(record.key, record.value);
    this.forward({ key: record.key, value: out.keep ? out.value : null, timestamp: record.timestamp }, ctx);
  }
}

export type JoinMode = 'inner' | 'left';

/**
 * One side of a table-table join. Each side's updates come here after its own store took them;
 * the other side is read from its store. The result goes to the join's own materialize node.
 * `thisIsLeft` orders the joiner's arguments.
 */
export class TableTableJoinNode extends ProcessorNode {
  constructor(
    name: string,
    private readonly leftStore: string,
    private readonly rightStore: string,
    private readonly thisIsLeft: boolean,
    private readonly mode: JoinMode,
    private readonly joiner: (left: unknown, right: unknown) => unknown,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    const storeKey = encodeJson(record.key);
    const otherBytes = ctx.store(this.thisIsLeft ? this.rightStore : this.leftStore).get(storeKey);
    const other = otherBytes === undefined ? null : decodeJson(otherBytes);
    const left = this.thisIsLeft ? record.value : other;
    const right = this.thisIsLeft ? other : record.value;
    let value: unknown;
    if (left === null || left === undefined) value = null;
    else if (right === null || right === undefined) value = this.mode === 'left' ? this.joiner(left, null) : null;
    else value = this.joiner(left, right);
    this.forward({ key: record.key, value, timestamp: record.timestamp }, ctx);
  }
}
