/**
 * One member of a classic group, as the coordinator sees it (Kafka's MemberMetadata): identity,
 * timeouts, the protocols it supports with their metadata, its current assignment, and the
 * parked JoinGroup/SyncGroup long-polls waiting for the group to move on.
 */
import type { TimerHandle } from './scheduler.js';
import type { JoinGroupResult, SyncGroupResult } from './group-protocol.types.js';

export interface JoinProtocol {
  /** An assignor name for consumer-style groups ("range", "cooperative-sticky", ...). */
  readonly name: string;
  /** Opaque to the coordinator for client-assigned groups; a ConsumerProtocolSubscription otherwise. */
  readonly metadata: Buffer;
}

export class GroupMember {
  protocols: readonly JoinProtocol[];
  assignment: Buffer = Buffer.alloc(0);
  /** Parked JoinGroup: resolved when the join phase completes (or the member is removed). */
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  /** Parked SyncGroup: resolved when the assignment is stored (or the rebalance restarts). */
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;
  /** True from the first JoinGroup until the first join phase including this member completes. */
  isNew = true;
  heartbeatTimer: TimerHandle | null = null;
  /** Called (asynchronously) when a rebalance starts, so a server-side member rejoins at once. */
  onRebalance: (() => void) | null = null;

  constructor(
    readonly memberId: string,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    protocols: readonly JoinProtocol[],
  ) {
    this.protocols = protocols;
  }

  metadataFor(protocolName: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocolName);
    if (p === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return p.metadata;
  }

  /** Same protocols, same order, same bytes: a rejoin that needs no rebalance. */
  matches(protocols: readonly JoinProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata))
    );
  }
}
