/**
 * What the KIP-848 part of the coordinator shares with the rest of it (GroupCoordinator builds one):
 * the consumer groups, the classic groups (a group id belongs to one protocol at a time), the
 * offsets, the way to append records, and the broker's topics, clock, timers and config.
 */
import type { Clock, Logger } from '@spool/common';
import type { ConsumerGroupAssignor } from '../assignors/consumer-group-assignor.js';
import type { ClassicGroup } from '../classic-group.js';
import type { GroupErrorCode } from '../coordinator.error.js';
import type { CoordinatorConfig } from '../coordinator-config.js';
import type { OffsetLogRecord, TopicMetadataSource } from '../coordinator-ports.js';
import type { OffsetStore } from '../offset-store.js';
import type { Scheduler } from '../scheduler.js';
import type { ConsumerGroup } from './consumer-group.js';

export interface ConsumerGroupsContext {
  readonly groups: Map<string, ConsumerGroup>;
  readonly classicGroups: Map<string, ClassicGroup>;
  readonly offsetStore: OffsetStore;
  /** Appends records to `__consumer_offsets` (the group's partition), in call order; see OffsetLog.append. */
  append(groupId: string, records: readonly OffsetLogRecord[]): Promise<void>;
  readonly topics: TopicMetadataSource;
  /** By name; `config.consumerGroupAssignors[0]` is the default. */
  readonly assignors: ReadonlyMap<string, ConsumerGroupAssignor>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly config: CoordinatorConfig;
  /** Why the group cannot be served here now (loading, or its partition is another broker's), or null. */
  unavailable(groupId: string): GroupErrorCode | null;
  /** A member id for a ConsumerGroupHeartbeat v0 member that joins without one (v1+ members bring their own). */
  newMemberId(): string;
}
