/**
 * Which topics a KIP-848 group subscribes to: the union of its members' topic names and of the
 * topics their regular expressions match, among the topics that exist. The group keeps the result
 * (name -> id and partition count, Kafka's subscription metadata); when it changes, because a
 * member changed its subscription or a subscribed topic was created, deleted or grew, the group
 * epoch is bumped and the assignor runs again.
 *
 * Regular expressions (ConsumerGroupHeartbeat v1 SubscribedTopicRegex) are matched against whole
 * topic names, as Kafka's RE2/J `matches()`; JavaScript's RegExp syntax, which agrees with RE2 on
 * the patterns clients send (`orders\..*`, `^(a|b)-[0-9]+$`). Internal topics never match.
 */
import { CONSUMER_OFFSETS_TOPIC } from '../consumer-offsets.codec.js';
import type { TopicMetadataSource } from '../coordinator-ports.js';
import { CoordinatorError } from '../coordinator.error.js';
import type { ConsumerGroupMember } from './consumer-group-member.js';
import type { SubscribedTopic } from './consumer-group.js';

const INTERNAL_TOPICS = new Set([CONSUMER_OFFSETS_TOPIC, '__transaction_state']);
const MAX_REGEX_LENGTH = 1_000;
const compiled = new Map<string, RegExp>();

/** The regex as a whole-name matcher; INVALID_REGULAR_EXPRESSION if it does not compile. */
export function topicRegex(source: string): RegExp {
  let re = compiled.get(source);
  if (re !== undefined) return re;
  if (source.length > MAX_REGEX_LENGTH) {
    throw new CoordinatorError('INVALID_REGULAR_EXPRESSION', `SubscribedTopicRegex is ${source.length} characters long, more than ${MAX_REGEX_LENGTH}`);
  }
  try {
    re = new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new CoordinatorError('INVALID_REGULAR_EXPRESSION', `SubscribedTopicRegex ${JSON.stringify(source)} does not compile: ${(err as Error).message}`);
  }
  if (compiled.size >= 1_000) compiled.clear();
  compiled.set(source, re);
  return re;
}

/** Topics the members subscribe to (by name or regex) that exist now, by name. */
export function resolveSubscribedTopics(members: Iterable<ConsumerGroupMember>, topics: Required<TopicMetadataSource>): Map<string, SubscribedTopic> {
  const names = new Set<string>();
  const regexes = new Set<string>();
  for (const m of members) {
    for (const name of m.subscribedTopicNames) names.add(name);
    if (m.subscribedTopicRegex !== null) regexes.add(m.subscribedTopicRegex);
  }
  if (regexes.size > 0) {
    const matchers = [...regexes].map(topicRegex);
    for (const name of topics.topicNames()) {
      if (!INTERNAL_TOPICS.has(name) && matchers.some((re) => re.test(name))) names.add(name);
    }
  }
  const out = new Map<string, SubscribedTopic>();
  for (const name of [...names].sort()) {
    const topicId = topics.topicId(name);
    const numPartitions = topics.partitionCount(name);
    if (topicId !== null && numPartitions !== null) out.set(name, { topicId, numPartitions });
  }
  return out;
}

/** The ids of the topics in `subscribed` that this member subscribes to. */
export function memberTopicIds(member: ConsumerGroupMember, subscribed: ReadonlyMap<string, SubscribedTopic>): Set<string> {
  const ids = new Set<string>();
  for (const name of member.subscribedTopicNames) {
    const t = subscribed.get(name);
    if (t !== undefined) ids.add(t.topicId);
  }
  if (member.subscribedTopicRegex !== null) {
    const re = topicRegex(member.subscribedTopicRegex);
    for (const [name, t] of subscribed) if (!INTERNAL_TOPICS.has(name) && re.test(name)) ids.add(t.topicId);
  }
  return ids;
}

export function sameSubscribedTopics(a: ReadonlyMap<string, SubscribedTopic>, b: ReadonlyMap<string, SubscribedTopic>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const other = b.get(name);
    if (other === undefined || other.topicId !== t.topicId || other.numPartitions !== t.numPartitions) return false;
  }
  return true;
}
