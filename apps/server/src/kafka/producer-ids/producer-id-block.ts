/**
 * Where idempotent producer ids come from: blocks of consecutive ids, each reserved durably
 * before any id of it is handed out (Kafka's ProducerIdManager + its `ProducerIdsRecord` /
 * ZooKeeper `latest_producer_id_block`). Reserving first is what makes ids never repeat: a crash
 * can only waste the rest of a block, never hand an id out twice, whatever the clock does.
 *
 * One implementation per deployment: `ProducerIdBlockFile` (one broker, a file in the data
 * directory). A cluster allocates from a shared store instead (etcd, as Kafka's controller does
 * from its metadata log) behind the same interface, so every broker draws disjoint blocks.
 */

/** Ids `firstProducerId` .. `firstProducerId + size - 1`, all unused. */
export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly size: number;
}

export interface ProducerIdBlockAllocator {
  /**
   * Reserves the next block. Resolves only once the reservation is durable: no later call, in this
   * process or after any crash and restart, returns an overlapping block. Calls may overlap; each
   * gets its own block. Rejects (nothing reserved, or a reservation that is simply skipped) when
   * the store cannot be written; a later call may succeed.
   */
  allocate(): Promise<ProducerIdBlock>;
}

/** Kafka's block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
