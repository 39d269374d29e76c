import { spawnSync } from 'node:child_process';
import { logOpenFileLimit, parseOpenFileLimit, readOpenFileLimit, RECOMMENDED_OPEN_FILE_LIMIT } from './open-file-limit.js';

describe('open-file limit', () => {
  it('parses the "Max open files" line of /proc/<pid>/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             95571                95571                processes ',
      'Max open files            1024                 524288               files     ',
      'Max locked memory         8388608              8388608              bytes     ',
    ].join('\n');
    expect(parseOpenFileLimit(text)).toEqual({ soft: 1024, hard: 524288 });
    expect(parseOpenFileLimit('Max open files            unlimited            unlimited            files\n')).toEqual({ soft: Infinity, hard: Infinity });
    expect(parseOpenFileLimit('Max processes 1 2 processes\n')).toBeNull();
  });

  it("reads this process's limit as the kernel reports it to prlimit", () => {
    const limit = readOpenFileLimit();
    const shown = spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output=SOFT,HARD'], { encoding: 'utf8' });
    expect(shown.status).toBe(0);
    const [soft, hard] = shown.stdout.trim().split(/\s+/).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
    expect(limit).toEqual({ soft, hard });
  });

  it('logs the limit, as a warning that says what to do when it is low', () => {
    const lines: Array<[string, object, string]> = [];
    const logger = { info: (o: object, m: string) => lines.push(['info', o, m]), warn: (o: object, m: string) => lines.push(['warn', o, m]) };
    const limit = logOpenFileLimit(logger)!;
    expect(lines).toEqual([[limit.soft >= RECOMMENDED_OPEN_FILE_LIMIT ? 'info' : 'warn', { openFileLimit: limit.soft, hardLimit: limit.hard }, expect.stringContaining('one descriptor per log segment')]]);
  });
});
