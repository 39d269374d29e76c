/**
 * Which `__consumer_offsets` partitions this coordinator owns, and whether each is loaded (Kafka's
 * coordinator runtime: a group lives in partition `abs(hash(groupId)) % partitionCount`, and a
 * broker serves exactly the groups of the partitions it leads).
 *
 * Per partition:
 *   not owned   requests for its groups -> NOT_COORDINATOR (the client looks the coordinator up again)
 *   loading     requests for its groups -> COORDINATOR_LOAD_IN_PROGRESS (the client retries)
 *   loaded      requests are served; records of its groups go to its OffsetLog
 *
 *   not owned -> loading    beginLoad (this broker became the partition's leader)
 *   loading   -> loaded     completeLoad, with the token beginLoad returned (a load that was
 *                           unloaded meanwhile completes nothing)
 *   loading | loaded -> not owned   unload (leadership moved away, or shutdown)
 *
 * A single broker owns every partition of its one-partition topic for its whole life.
 */
import { CoordinatorError } from './coordinator.error.js';
import type { OffsetLog } from './coordinator-ports.js';

/** Java's String.hashCode over UTF-16 code units, as Kafka hashes group ids. */
function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: `Utils.abs(groupId.hashCode()) % partitionCount` (abs of MIN_VALUE is 0). */
export function consumerOffsetsPartitionFor(groupId: string, partitionCount: number): number {
  const h = javaStringHashCode(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitionCount;
}

interface PartitionState {
  loaded: boolean;
  readonly token: number;
  readonly log: OffsetLog;
}

export class OffsetsPartitions {
  private readonly states = new Map<number, PartitionState>();
  private nextToken = 0;

  constructor(readonly partitionCount: number) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new CoordinatorError('INVALID_REQUEST', `__consumer_offsets must have at least one partition, not ${partitionCount}`);
    }
  }

  partitionOf(groupId: string): number {
    return consumerOffsetsPartitionFor(groupId, this.partitionCount);
  }

  /** Starts owning `partition` (loading); returns the token completeLoad needs. */
  beginLoad(partition: number, log: OffsetLog): number {
    this.checkPartition(partition);
    const token = ++this.nextToken;
    this.states.set(partition, { loaded: false, token, log });
    return token;
  }

  /** Marks the load of `token` done; false if the partition was unloaded (or reloaded) meanwhile. */
  completeLoad(partition: number, token: number): boolean {
    const state = this.states.get(partition);
    if (state === undefined || state.token !== token) return false;
    state.loaded = true;
    return true;
  }

  isCurrent(partition: number, token: number): boolean {
    return this.states.get(partition)?.token === token;
  }

  unload(partition: number): boolean {
    return this.states.delete(partition);
  }

  /** null when the group's partition is loaded here; otherwise why its requests cannot be served. */
  errorFor(groupId: string): 'NOT_COORDINATOR' | 'COORDINATOR_LOAD_IN_PROGRESS' | null {
    const state = this.states.get(this.partitionOf(groupId));
    if (state === undefined) return 'NOT_COORDINATOR';
    return state.loaded ? null : 'COORDINATOR_LOAD_IN_PROGRESS';
  }

  /** Throws CoordinatorError NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS unless the group is served here. */
  check(groupId: string): void {
    const error = this.errorFor(groupId);
    if (error !== null) throw new CoordinatorError(error, `group ${groupId} (partition ${this.partitionOf(groupId)} of __consumer_offsets) ${error === 'NOT_COORDINATOR' ? 'is not coordinated by this broker' : 'is still loading'}`, { groupId });
  }

  /** The OffsetLog of the group's partition, loaded or loading (replay writes none). */
  logFor(groupId: string): OffsetLog {
    const partition = this.partitionOf(groupId);
    const state = this.states.get(partition);
    if (state === undefined) throw new CoordinatorError('NOT_COORDINATOR', `partition ${partition} of __consumer_offsets is not owned here (group ${groupId})`, { groupId });
    return state.log;
  }

  /** Whether some owned partition is still loading (ListGroups answers COORDINATOR_LOAD_IN_PROGRESS then, as Kafka does). */
  get anyLoading(): boolean {
    for (const state of this.states.values()) if (!state.loaded) return true;
    return false;
  }

  owned(): number[] {
    return [...this.states.keys()].sort((a, b) => a - b);
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitionCount) {
      throw new CoordinatorError('INVALID_REQUEST', `__consumer_offsets has partitions 0..${this.partitionCount - 1}, not ${partition}`);
    }
  }
}
