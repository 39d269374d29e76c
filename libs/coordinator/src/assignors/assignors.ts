/** The assignors the coordinator can run server-side, by the names Kafka's clients use. */
import { CooperativeStickyAssignor } from './cooperative-sticky.assignor.js';
import type { PartitionAssignor } from './partition-assignor.js';
import { RangeAssignor } from './range.assignor.js';
import { RoundRobinAssignor } from './round-robin.assignor.js';

export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky';

export function defaultAssignors(): Map<string, PartitionAssignor> {
  const list: PartitionAssignor[] = [new RangeAssignor(), new RoundRobinAssignor(), new CooperativeStickyAssignor()];
  return new Map(list.map((a) => [a.name, a]));
}
