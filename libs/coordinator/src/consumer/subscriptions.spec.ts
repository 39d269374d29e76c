import { CoordinatorError } from '../coordinator.error.js';
import { topicRegex } from './subscriptions.js';

describe('subscription regexes', () => {
  it('match whole topic names, as RE2/J matches() does', () => {
    expect(topicRegex('orders\\..*').test('orders.eu')).toBe(true);
    expect(topicRegex('orders').test('orders.eu')).toBe(false);
    expect(topicRegex('(^rx-.*)|(^tx-[0-9]+)').test('tx-12')).toBe(true);
    expect(topicRegex('(?:a|b)-[0-9]{1,3}').test('b-42')).toBe(true);
    expect(topicRegex('(?<region>eu|us)\\.orders').test('us.orders')).toBe(true);
    expect(topicRegex('orders-.*-v[0-9]+-.*').test('orders-eu-v2-x')).toBe(true);
  });

  it.each([
    ['(a+)+$', /repeated group/],
    ['(a|aa)*', /repeated group/],
    ['((a*)b)*', /repeated group/],
    ['(?:x+)+', /repeated group/],
    ['(a)\\1', /backreferences/],
    ['orders(?=x)', /lookarounds/],
    ['(', /does not compile|unbalanced/],
    ['.*.*.*.*x', /unbounded repetitions/],
  ])('refuses %s (RE2 would not run it, or it could backtrack without bound)', (source, why) => {
    let thrown: unknown;
    try {
      topicRegex(source);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CoordinatorError);
    expect(thrown).toMatchObject({ code: 'INVALID_REGULAR_EXPRESSION', message: expect.stringMatching(why) });
  });
});
