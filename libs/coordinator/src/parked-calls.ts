/**
 * Answers for the coordinator's long-polls. A JoinGroup or SyncGroup call that cannot be answered
 * at once parks its resolver on the member (`awaitingJoin` / `awaitingSync`); whoever moves the
 * group on answers it here, exactly once: the resolver is cleared before it is called, so a second
 * answer for the same call is a no-op.
 */
import type { GroupErrorCode } from './coordinator.error.js';
import type { GroupMember } from './group-member.js';
import type { JoinGroupResult, SyncGroupResult } from './group-protocol.types.js';

/** The empty assignment / metadata. */
export const EMPTY = Buffer.alloc(0);

export function joinError(memberId: string, errorCode: GroupErrorCode): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, members: [], skipAssignment: false };
}

export function syncError(errorCode: GroupErrorCode): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

/** Resolves the member's parked JoinGroup, if any. */
export function answerJoin(member: GroupMember, result: JoinGroupResult): void {
  const resolve = member.awaitingJoin;
  member.awaitingJoin = null;
  resolve?.(result);
}

/** Resolves the member's parked SyncGroup, if any. */
export function answerSync(member: GroupMember, result: SyncGroupResult): void {
  const resolve = member.awaitingSync;
  member.awaitingSync = null;
  resolve?.(result);
}
