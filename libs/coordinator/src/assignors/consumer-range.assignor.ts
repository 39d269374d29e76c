/**
 * `range`, the server-side range assignor of KIP-848 groups (Kafka's group-coordinator
 * RangeAssignor): per topic, its subscribers in a fixed order (static members first, by instance
 * id, then the others by member id) take contiguous ranges of partitions; with n partitions and m
 * subscribers each gets n / m, and the first n % m one more. Topics with the same partition count
 * and the same subscribers are therefore co-partitioned: partition i of each goes to one member,
 * which is what joins over keyed topics need. Not sticky: a join or leave may move any range.
 */
import type { Assignment } from '../consumer/assignment.js';
import type { ConsumerGroupAssignmentSpec, ConsumerGroupAssignor } from './consumer-group-assignor.js';

export class ConsumerRangeAssignor implements ConsumerGroupAssignor {
  readonly name = 'range';

  assign(spec: ConsumerGroupAssignmentSpec): Map<string, Assignment> {
    const order = [...spec.members.entries()]
      .sort(([idA, a], [idB, b]) => {
        if (a.instanceId !== null && b.instanceId !== null) return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
        if (a.instanceId !== null) return -1;
        if (b.instanceId !== null) return 1;
        return idA < idB ? -1 : idA > idB ? 1 : 0;
      })
      .map(([memberId]) => memberId);
    const out = new Map<string, Map<string, Set<number>>>(order.map((id) => [id, new Map()]));
    for (const topicId of [...spec.partitionsPerTopicId.keys()].sort()) {
      const partitions = spec.partitionsPerTopicId.get(topicId)!;
      const subscribers = order.filter((id) => spec.members.get(id)!.subscribedTopicIds.has(topicId));
      if (subscribers.length === 0) continue;
      const quota = Math.floor(partitions / subscribers.length);
      let extra = partitions % subscribers.length;
      let next = 0;
      for (const memberId of subscribers) {
        const count = quota + (extra > 0 ? 1 : 0);
        if (extra > 0) extra--;
        if (count === 0) continue;
        const range = new Set<number>();
        for (let p = next; p < next + count; p++) range.add(p);
        next += count;
        out.get(memberId)!.set(topicId, range);
      }
    }
    return out;
  }
}
