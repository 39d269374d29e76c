import { CliError } from '../cli.error.js';
import { planDrain } from './reassign.command.js';

describe('planDrain', () => {
  it('replaces the drained broker in place with the least loaded live broker the partition lacks', () => {
    const plan = planDrain(3, [1, 2, 3, 4], [
      { topic: 'a', partition: 0, replicas: [3, 1] },
      { topic: 'a', partition: 1, replicas: [1, 2] },
      { topic: 'a', partition: 2, replicas: [2, 3] },
      { topic: 'b', partition: 0, replicas: [3] },
    ]);
    // Loads before: 1:2, 2:2, 4:0. a-0 lacks 2 and 4 -> 4 (now 1); a-2 lacks 1 and 4 -> 4 (1 < 2, now 2);
    // b-0 lacks 1, 2 and 4, all at 2 -> the lowest id, 1.
    expect(plan).toEqual([
      { topic: 'a', partition: 0, from: [3, 1], replicas: [4, 1] },
      { topic: 'a', partition: 2, from: [2, 3], replicas: [2, 4] },
      { topic: 'b', partition: 0, from: [3], replicas: [1] },
    ]);
  });

  it('refuses when a partition has no live broker left to move to', () => {
    expect(() => planDrain(2, [1, 2], [{ topic: 'a', partition: 0, replicas: [1, 2] }])).toThrow(CliError);
    expect(planDrain(5, [1, 2], [{ topic: 'a', partition: 0, replicas: [1, 2] }])).toEqual([]);
  });
});
