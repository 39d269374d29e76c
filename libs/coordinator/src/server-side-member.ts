/**
 * A group member whose client cannot speak the group protocol itself (a browser on a WebSocket):
 * the server runs the member's side of the protocol on its behalf, against the same coordinator
 * Kafka clients use. It joins with protocol type "spool-ws" and its assignor as protocol name,
 * lets the coordinator assign, heartbeats while the transport is open, rejoins as soon as a
 * rebalance starts, and tells the transport what to stop and start delivering.
 *
 * Revoke before assign, both ways:
 * - eager assignors (range, roundrobin): every owned partition is revoked (`onRevoked` awaited)
 *   before the member rejoins, so the new generation cannot hand a partition to someone else
 *   while this member still delivers it;
 * - cooperative-sticky: the member rejoins still delivering what it owns; after SyncGroup it
 *   revokes only what it lost (awaited) and, if it lost anything, rejoins so those partitions can
 *   be assigned to their new owner in the next generation.
 *
 * Listener callbacks run one at a time, in order, and must stop (or start) delivery before their
 * promise resolves. They should be quick: heartbeats pause while the member rebalances.
 *
 * The coordinator is this process's GroupCoordinator, or (a broker of a cluster whose group is
 * coordinated elsewhere) anything with the same calls that may answer heartbeats and offset
 * fetches asynchronously (MemberCoordinator). When the coordinator is not available or moved
 * (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS) the member waits a
 * little and joins again, as Kafka's clients rediscover their coordinator.
 */
import type { AssignorName } from './assignors/assignors.js';
import { SPOOL_WS_PROTOCOL_TYPE } from './coordinator-config.js';
import type { GroupErrorCode } from './coordinator.error.js';
import { decodeConsumerAssignment, encodeConsumerSubscription } from './consumer-protocol.codec.js';
import type {
  CommittedOffset,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetToCommit,
  SyncGroupRequest,
  SyncGroupResult,
} from './group-protocol.types.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import { compareTopicPartitions, topicPartitionKey, type TopicPartition } from './topic-partition.js';

export interface AssignedPartition extends TopicPartition {
  /** The group's committed offset (next to read); null: none, the transport applies its reset policy. */
  readonly committedOffset: number | null;
}

export interface ServerSideMemberListener {
  onAssigned(event: { generationId: number; partitions: readonly AssignedPartition[] }): void | Promise<void>;
  onRevoked(event: { generationId: number; partitions: readonly TopicPartition[] }): void | Promise<void>;
  /** The member cannot continue (e.g. INCONSISTENT_GROUP_PROTOCOL); it has stopped. */
  onFatalError?(errorCode: GroupErrorCode): void;
}

export interface ServerSideMemberOptions {
  readonly groupId: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly topics: readonly string[];
  readonly assignor: AssignorName;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** How often to heartbeat; Kafka's default is a third of the session timeout. */
  readonly heartbeatIntervalMs?: number;
  readonly protocolType?: string;
}

/** The coordinator calls a server-side member makes; GroupCoordinator has them all. */
export interface MemberCoordinator {
  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult>;
  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult>;
  heartbeat(req: HeartbeatRequest): GroupErrorCode | Promise<GroupErrorCode>;
  leaveGroup(req: LeaveGroupRequest): unknown;
  commitOffsets(req: OffsetCommitRequest): Promise<GroupErrorCode>;
  fetchOffsets(groupId: string, partitions: readonly TopicPartition[]): readonly CommittedOffset[] | Promise<readonly CommittedOffset[]>;
}

const COOPERATIVE: ReadonlySet<string> = new Set(['cooperative-sticky']);
/** Pause before joining again when the coordinator is not available (moving, loading). */
const COORDINATOR_RETRY_MS = 500;

export class ServerSideMember {
  private memberIdValue = '';
  private generation = -1;
  private owned: TopicPartition[] = [];
  private rejoining = false;
  private rejoinAgain = false;
  private closed = false;
  private heartbeatTimer: TimerHandle | null = null;

  constructor(
    private readonly coordinator: MemberCoordinator,
    private readonly scheduler: Scheduler,
    private readonly options: ServerSideMemberOptions,
    private readonly listener: ServerSideMemberListener,
  ) {}

  get memberId(): string {
    return this.memberIdValue;
  }

  get generationId(): number {
    return this.generation;
  }

  /** The partitions this member delivers now. */
  get ownedPartitions(): readonly TopicPartition[] {
    return this.owned;
  }

  /** Joins the group; resolves once the first assignment was handed to the listener. */
  async start(): Promise<void> {
    await this.rejoin();
    this.scheduleHeartbeat();
  }

  /** Commits for this member's generation (ILLEGAL_GENERATION if a rebalance has moved on). */
  commit(offsets: readonly OffsetToCommit[]): Promise<GroupErrorCode> {
    return this.coordinator.commitOffsets({ groupId: this.options.groupId, memberId: this.memberIdValue, generationId: this.generation, offsets });
  }

  /**
   * Leaves at once (the socket closed, or the client sent "leave"): revokes what it owns (the
   * listener stops delivery), then leaves, so the group rebalances without waiting for a session
   * timeout and never while this member still delivers. Resolves once it has left.
   */
  async leave(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
    await this.revoke(this.owned);
    if (this.memberIdValue !== '') this.coordinator.leaveGroup({ groupId: this.options.groupId, memberIds: [this.memberIdValue] });
  }

  private get cooperative(): boolean {
    return COOPERATIVE.has(this.options.assignor);
  }

  private requestRejoin(): void {
    if (this.closed) return;
    if (this.rejoining) {
      this.rejoinAgain = true;
      return;
    }
    void this.rejoin();
  }

  private async rejoin(): Promise<void> {
    this.rejoining = true;
    try {
      do {
        this.rejoinAgain = false;
        await this.joinAndSync();
      } while (this.rejoinAgain && !this.closed);
    } finally {
      this.rejoining = false;
    }
  }

  private async joinAndSync(): Promise<void> {
    if (!this.cooperative) await this.revoke(this.owned);
    const join = await this.coordinator.joinGroup({
      groupId: this.options.groupId,
      memberId: this.memberIdValue,
      clientId: this.options.clientId,
      clientHost: this.options.clientHost,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
      protocolType: this.options.protocolType ?? SPOOL_WS_PROTOCOL_TYPE,
      protocols: [
        {
          name: this.options.assignor,
          metadata: encodeConsumerSubscription({
            topics: this.options.topics,
            ownedPartitions: this.owned,
            generationId: this.generation < 0 ? null : this.generation,
          }),
        },
      ],
      onRebalance: () => this.requestRejoin(),
    });
    if (this.closed) return;
    if (join.errorCode !== 'NONE') return this.onError(join.errorCode);
    this.memberIdValue = join.memberId;
    this.generation = join.generationId;
    const sync = await this.coordinator.syncGroup({
      groupId: this.options.groupId,
      memberId: this.memberIdValue,
      generationId: this.generation,
      assignments: [],
    });
    if (this.closed) return;
    if (sync.errorCode !== 'NONE') return this.onError(sync.errorCode);
    await this.applyAssignment(decodeConsumerAssignment(sync.assignment).partitions);
  }

  private async applyAssignment(assigned: readonly TopicPartition[]): Promise<void> {
    const assignedKeys = new Set(assigned.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    const ownedKeys = new Set(this.owned.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    const revoked = this.owned.filter((tp) => !assignedKeys.has(topicPartitionKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !ownedKeys.has(topicPartitionKey(tp.topic, tp.partition)));
    await this.revoke(revoked);
    this.owned = [...assigned].sort(compareTopicPartitions);
    if (added.length > 0) {
      const committed = await this.coordinator.fetchOffsets(this.options.groupId, added);
      const byKey = new Map(committed.map((c) => [topicPartitionKey(c.topic, c.partition), c.offset]));
      const partitions = added.map((tp) => ({ ...tp, committedOffset: byKey.get(topicPartitionKey(tp.topic, tp.partition)) ?? null }));
      await this.listener.onAssigned({ generationId: this.generation, partitions });
    }
    // Cooperative: what we gave up can only go to its new owner in the next generation.
    if (this.cooperative && revoked.length > 0) this.rejoinAgain = true;
  }

  private async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    const revoked = new Set(partitions.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    this.owned = this.owned.filter((tp) => !revoked.has(topicPartitionKey(tp.topic, tp.partition)));
    await this.listener.onRevoked({ generationId: this.generation, partitions });
  }

  private async onError(code: GroupErrorCode): Promise<void> {
    switch (code) {
      case 'REBALANCE_IN_PROGRESS':
      case 'ILLEGAL_GENERATION':
        this.rejoinAgain = true;
        return;
      case 'NOT_COORDINATOR':
      case 'COORDINATOR_NOT_AVAILABLE':
      case 'COORDINATOR_LOAD_IN_PROGRESS':
        await new Promise<void>((resolve) => this.scheduler.schedule(COORDINATOR_RETRY_MS, resolve));
        this.rejoinAgain = true;
        return;
      case 'UNKNOWN_MEMBER_ID':
        // Removed from the group: what it owned may already be someone else's (Kafka's onPartitionsLost).
        await this.revoke(this.owned);
        this.memberIdValue = '';
        this.generation = -1;
        this.rejoinAgain = true;
        return;
      default:
        await this.leave();
        this.listener.onFatalError?.(code);
    }
  }

  private scheduleHeartbeat(): void {
    if (this.closed) return;
    const interval = this.options.heartbeatIntervalMs ?? Math.floor(this.options.sessionTimeoutMs / 3);
    this.heartbeatTimer = this.scheduler.schedule(interval, () => {
      this.heartbeatTimer = null;
      if (!this.rejoining && this.memberIdValue !== '') {
        const answered = this.coordinator.heartbeat({ groupId: this.options.groupId, memberId: this.memberIdValue, generationId: this.generation });
        const onCode = (code: GroupErrorCode): void => {
          if (this.closed) return;
          if (code === 'UNKNOWN_MEMBER_ID' || code === 'ILLEGAL_GENERATION') void this.onError(code).then(() => this.requestRejoin());
          else if (code === 'REBALANCE_IN_PROGRESS') this.requestRejoin();
          // Anything else (a coordinator moving or unreachable): the next heartbeat asks again.
        };
        if (typeof answered === 'string') onCode(answered);
        else void answered.then(onCode, () => undefined);
      }
      this.scheduleHeartbeat();
    });
  }
}
