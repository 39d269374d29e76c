/**
 * Partition assignment for a streams application's consumer group: task N is partition N of every
 * source topic, so partition numbers (not topic-partitions) are dealt out, round-robin over the
 * members sorted by id. kafkajs's default round-robin deals topic-partitions and could split a
 * task's partitions between two instances, which would break co-partitioned joins.
 *
 * Also used, with a fixed partition set, by the restore consumer: a group of one member that must
 * get exactly the changelog partitions of the tasks being restored (kafkajs has no manual assign).
 */
import { AssignerProtocol, type Assigner, type PartitionAssigner } from 'kafkajs';

export const COPARTITIONED_ASSIGNER_NAME = 'SpoolStreamsCopartitioned';

export function copartitionedAssigner(fixed?: ReadonlyMap<string, readonly number[]>): PartitionAssigner {
  return ({ cluster }): Assigner => ({
    name: COPARTITIONED_ASSIGNER_NAME,
    version: 0,
    async assign({ members, topics }) {
      const memberIds = members.map((m) => m.memberId).sort();
      const partitionsOf = new Map<string, number[]>();
      if (fixed !== undefined) {
        for (const [topic, partitions] of fixed) partitionsOf.set(topic, [...partitions]);
      } else {
        await cluster.refreshMetadata();
        for (const topic of topics) partitionsOf.set(topic, cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId));
      }
      const numbers = [...new Set([...partitionsOf.values()].flat())].sort((a, b) => a - b);
      const byMember = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]));
      numbers.forEach((partition, i) => {
        const assignment = byMember.get(memberIds[i % memberIds.length])!;
        for (const [topic, partitions] of partitionsOf) {
          if (!partitions.includes(partition)) continue;
          (assignment[topic] ??= []).push(partition);
        }
      });
      return memberIds.map((memberId) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: byMember.get(memberId)!, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: COPARTITIONED_ASSIGNER_NAME, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
  });
}
