import { GroupState, isValidTransition } from './group-state.js';

describe('GroupState transitions (Kafka ClassicGroupState)', () => {
  const S = GroupState;
  const valid: Array<[GroupState, GroupState]> = [
    [S.Empty, S.PreparingRebalance],
    [S.PreparingRebalance, S.CompletingRebalance],
    [S.PreparingRebalance, S.Empty],
    [S.CompletingRebalance, S.Stable],
    [S.CompletingRebalance, S.PreparingRebalance],
    [S.Stable, S.PreparingRebalance],
    [S.Empty, S.Dead],
    [S.Stable, S.Dead],
    [S.Dead, S.Dead],
  ];
  const all = Object.values(GroupState);

  it('allows exactly the transitions of the table', () => {
    for (const from of all) {
      for (const to of all) {
        const expected = valid.some(([f, t]) => f === from && t === to) || (to === S.Dead);
        expect([from, to, isValidTransition(from, to)]).toEqual([from, to, expected]);
      }
    }
  });

  it('never leaves Dead, never skips CompletingRebalance', () => {
    expect(isValidTransition(S.Dead, S.Empty)).toBe(false);
    expect(isValidTransition(S.PreparingRebalance, S.Stable)).toBe(false);
    expect(isValidTransition(S.Empty, S.Stable)).toBe(false);
  });
});
