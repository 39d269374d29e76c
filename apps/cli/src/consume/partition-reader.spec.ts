import { countLines, firstLines, linesBelow } from './partition-reader.js';

const page = Buffer.from(['{"topic":"t","partition":0,"offset":7,"value":"a\\nb"}', '{"topic":"t","partition":0,"offset":9,"value":{"offset":1}}', '{"topic":"t","partition":0,"offset":10,"value":null}'].join('\n') + '\n');

describe('NDJSON fetch pages', () => {
  it('counts and cuts lines (an escaped newline inside a value is not one)', () => {
    expect(countLines(page)).toBe(3);
    expect(countLines(Buffer.alloc(0))).toBe(0);
    expect(firstLines(page, 2).toString()).toBe(page.toString().split('\n').slice(0, 2).join('\n') + '\n');
    expect(firstLines(page, 0).length).toBe(0);
    expect(firstLines(page, 5)).toBe(page);
  });

  it('keeps only the records below an end offset, by each record\'s own offset', () => {
    const below = linesBelow(page, 10);
    expect(below.lines).toBe(2);
    expect(below.body.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l).offset)).toEqual([7, 9]);
    expect(linesBelow(page, 7)).toEqual({ body: Buffer.alloc(0), lines: 0 });
  });
});
