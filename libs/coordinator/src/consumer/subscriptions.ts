/**
 * Which topics a KIP-848 group subscribes to: the union of its members' topic names and of the
 * topics their regular expressions match, among the topics that exist. The group keeps the result
 * (name -> id and partition count, Kafka's subscription metadata); when it changes, because a
 * member changed its subscription or a subscribed topic was created, deleted or grew, the group
 * epoch is bumped and the assignor runs again.
 *
 * Regular expressions (ConsumerGroupHeartbeat v1 SubscribedTopicRegex) are matched against whole
 * topic names, as Kafka's RE2/J `matches()`; JavaScript's RegExp syntax, which agrees with RE2 on
 * the patterns clients send (`orders\..*`, `^(a|b)-[0-9]+$`; librdkafka wraps each in parentheses).
 * Internal topics never match. RE2 runs in linear time and JavaScript's backtracking engine does
 * not, so a client could hang the broker with `(a+)+$`; what RE2 refuses (backreferences,
 * lookarounds) and the shapes that backtrack exponentially (a repeated group that contains a
 * repetition or an alternation) or steeply (more than three unbounded repetitions) are
 * INVALID_REGULAR_EXPRESSION before anything is matched.
 */
import { CONSUMER_OFFSETS_TOPIC } from '../consumer-offsets.codec.js';
import type { TopicMetadataSource } from '../coordinator-ports.js';
import { CoordinatorError } from '../coordinator.error.js';
import type { ConsumerGroupMember } from './consumer-group-member.js';
import type { SubscribedTopic } from './consumer-group.js';

const INTERNAL_TOPICS = new Set([CONSUMER_OFFSETS_TOPIC, '__transaction_state']);
const MAX_REGEX_LENGTH = 1_000;
/** Adjacent unbounded repetitions backtrack as length^k on a non-matching name: with k = 3, at most ~50 ms on a 249-character name. */
const MAX_UNBOUNDED_REPETITIONS = 3;
const compiled = new Map<string, RegExp>();

/** The regex as a whole-name matcher; INVALID_REGULAR_EXPRESSION if it does not compile. */
export function topicRegex(source: string): RegExp {
  let re = compiled.get(source);
  if (re !== undefined) return re;
  if (source.length > MAX_REGEX_LENGTH) {
    throw new CoordinatorError('INVALID_REGULAR_EXPRESSION', `SubscribedTopicRegex is ${source.length} characters long, more than ${MAX_REGEX_LENGTH}`);
  }
  const unsafe = unsafeRegexReason(source);
  if (unsafe !== null) throw new CoordinatorError('INVALID_REGULAR_EXPRESSION', `SubscribedTopicRegex ${JSON.stringify(source)} is refused: ${unsafe}`);
  try {
    re = new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new CoordinatorError('INVALID_REGULAR_EXPRESSION', `SubscribedTopicRegex ${JSON.stringify(source)} does not compile: ${(err as Error).message}`);
  }
  if (compiled.size >= 1_000) compiled.clear();
  compiled.set(source, re);
  return re;
}

/**
 * Why the regex could backtrack without bound (or uses what RE2 lacks), or null. A scan of the
 * source: escapes and character classes are skipped; per group it notes whether it holds a
 * quantifier or a `|`, and a group that is itself quantified must hold neither.
 */
function unsafeRegexReason(source: string): string | null {
  const groups: { quantified: boolean; alternation: boolean }[] = [{ quantified: false, alternation: false }];
  let unbounded = 0;
  const isQuantifier = (i: number): boolean => source[i] === '*' || source[i] === '+' || source[i] === '?' || (source[i] === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i)));
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      if (/[1-9k]/.test(source[i + 1] ?? '')) return 'backreferences are not supported (RE2)';
      i++;
    } else if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
    } else if (c === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(source.slice(i))) return 'lookarounds are not supported (RE2)';
      groups.push({ quantified: false, alternation: false });
      // A group's own prefix ((?:, (?<name>) is not a quantifier.
      const prefix = /^\(\?(:|<[A-Za-z_][A-Za-z0-9_]*>|P<[A-Za-z_][A-Za-z0-9_]*>)/.exec(source.slice(i));
      if (prefix !== null) i += prefix[0].length - 1;
    } else if (c === ')') {
      const inner = groups.pop();
      if (inner === undefined || groups.length === 0) return 'unbalanced parentheses';
      if (isQuantifier(i + 1)) {
        if (inner.quantified || inner.alternation) return 'a repeated group must not contain a repetition or an alternation (it could backtrack exponentially)';
        groups[groups.length - 1].quantified = true;
      } else if (inner.quantified) {
        groups[groups.length - 1].quantified = true;
      }
    } else if (c === '|') {
      groups[groups.length - 1].alternation = true;
    } else if (isQuantifier(i)) {
      groups[groups.length - 1].quantified = true;
    }
    if ((c === '*' || c === '+' || (c === '{' && /^\{\d+,\}/.test(source.slice(i)))) && ++unbounded > MAX_UNBOUNDED_REPETITIONS) {
      return `more than ${MAX_UNBOUNDED_REPETITIONS} unbounded repetitions (*, +, {n,}) could backtrack polynomially`;
    }
  }
  return null;
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
