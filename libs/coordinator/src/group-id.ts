/**
 * The group id limit. Kafka bounds a group id only by its wire string (int16 length); Spool keeps
 * every group's id in memory, in __consumer_offsets keys and in logs, so it takes 255 characters at
 * most, which no real deployment's naming scheme reaches. An empty id (only whitespace, for KIP-848
 * groups) or a longer one is INVALID_GROUP_ID on every face.
 */
export const MAX_GROUP_ID_LENGTH = 255;

/** True when `groupId` is too long to be a group's id (emptiness is checked where each API defines it). */
export function groupIdTooLong(groupId: string): boolean {
  return groupId.length > MAX_GROUP_ID_LENGTH;
}
