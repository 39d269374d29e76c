/**
 * The leader's view of its partition's ISR while it may have an ISR change in flight (Kafka's
 * CommittedPartitionState / PendingExpandIsr / PendingShrinkIsr, KIP-497):
 *
 *   committed        the ISR as last written to etcd (or received from it). Allowed: propose an
 *                    expansion or a shrink (-> pending-*), receive a newer state (-> committed).
 *   pending-expand   an AlterPartition adding one replica is in flight. Its `maximalIsr`
 *                    already counts the new replica, so the high watermark waits for it too:
 *                    stricter, hence safe whether or not the write lands.
 *                    Allowed: the write's outcome (-> committed, or back to the last committed
 *                    state when etcd refused it for good), a newer state from etcd (-> committed).
 *   pending-shrink   an AlterPartition removing replicas is in flight. Its `maximalIsr` is still
 *                    the old ISR: the high watermark must not advance without the leaving
 *                    replicas until the shrink is written, or a failed write would have
 *                    committed records some ISR member lacks. Same transitions as pending-expand.
 *
 * One change at a time: nothing new is proposed while one is pending, so the leader is never
 * two writers of its own partition state.
 */
export type IsrState =
  | { readonly kind: 'committed'; readonly isr: readonly number[] }
  | { readonly kind: 'pending-expand'; readonly isr: readonly number[]; readonly adding: number; readonly proposedIsr: readonly number[] }
  | { readonly kind: 'pending-shrink'; readonly isr: readonly number[]; readonly removing: readonly number[]; readonly proposedIsr: readonly number[] };

/** A state with an AlterPartition in flight. */
export type PendingIsrState = Exclude<IsrState, { readonly kind: 'committed' }>;

/** The ISR the high watermark and acks=all count: the committed one plus a replica being added. */
export function maximalIsr(state: IsrState): readonly number[] {
  return state.kind === 'pending-expand' ? state.proposedIsr : state.isr;
}

export function isInflight(state: IsrState): boolean {
  return state.kind !== 'committed';
}

export function committed(isr: readonly number[]): IsrState {
  return { kind: 'committed', isr: [...isr] };
}

export function pendingExpand(from: IsrState, adding: number): PendingIsrState {
  return { kind: 'pending-expand', isr: from.isr, adding, proposedIsr: [...from.isr, adding] };
}

export function pendingShrink(from: IsrState, removing: readonly number[]): PendingIsrState {
  return { kind: 'pending-shrink', isr: from.isr, removing: [...removing], proposedIsr: from.isr.filter((b) => !removing.includes(b)) };
}

/** Codes with which etcd refused an ISR change for good: back to the last committed ISR (Kafka: INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED). */
export const ISR_CHANGE_REFUSED = new Set(['INELIGIBLE_REPLICA', 'OPERATION_NOT_ATTEMPTED']);
/** Codes meaning this broker's metadata is stale: stay pending until the newer state arrives through the watch. */
export const ISR_CHANGE_AWAITS_METADATA = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
  'FENCED_LEADER_EPOCH',
  'INVALID_UPDATE_VERSION',
  'INVALID_REQUEST',
  'NOT_LEADER_OR_FOLLOWER',
  'STALE_BROKER_EPOCH',
  'NEW_LEADER_ELECTED',
]);
