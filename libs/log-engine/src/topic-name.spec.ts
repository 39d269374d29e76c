import { SpoolError } from '@spool/common';
import { collidesWith, isInternalTopic, MAX_TOPIC_NAME_LENGTH, topicNameProblem, validateTopicName } from './topic-name.js';

function errorOf(fn: () => unknown): SpoolError {
  try {
    fn();
  } catch (err) {
    return err as SpoolError;
  }
  throw new Error('expected a throw');
}

describe('validateTopicName', () => {
  it.each(['a', 'orders', 'Orders.v2', 'a_b-c.d', '__consumer_offsets', '...', '0', 'x'.repeat(MAX_TOPIC_NAME_LENGTH)])(
    'accepts %s',
    (name) => {
      expect(validateTopicName(name)).toBe(name);
    },
  );

  it.each([
    ['', 'empty'],
    ['.', '"." or ".."'],
    ['..', '"." or ".."'],
    ['x'.repeat(MAX_TOPIC_NAME_LENGTH + 1), 'maximum is 249'],
    ['a b', 'characters'],
    ['a/b', 'characters'],
    ['ü', 'characters'],
    ['a\n', 'characters'],
  ])('rejects %j (%s)', (name, reason) => {
    const err = errorOf(() => validateTopicName(name));
    expect(err).toBeInstanceOf(SpoolError);
    expect(err.code).toBe('INVALID_TOPIC_EXCEPTION');
    expect(err.message).toContain(reason);
    expect(err.details).toMatchObject({ topic: name });
    expect(topicNameProblem(name)).not.toBeNull();
  });

  it('flags internal topics by the "__" prefix', () => {
    expect(isInternalTopic('__consumer_offsets')).toBe(true);
    expect(isInternalTopic('_x')).toBe(false);
    expect(isInternalTopic('orders')).toBe(false);
  });

  it('reports names that collide on "." versus "_"', () => {
    expect(collidesWith('a.b', ['a_b', 'a.b', 'ab', 'a-b'])).toEqual(['a_b']);
    expect(collidesWith('a_b.c', ['a.b_c', 'a_b_c'])).toEqual(['a.b_c', 'a_b_c']);
    expect(collidesWith('ab', ['ab'])).toEqual([]);
  });
});
