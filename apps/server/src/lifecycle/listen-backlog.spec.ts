import { readFileSync } from 'node:fs';
import { listenBacklog, logListenBacklog, readSomaxconn } from './listen-backlog.js';

describe('HTTP listen backlog', () => {
  it('is what was asked for, capped by net.core.somaxconn', () => {
    expect(listenBacklog(65_535, '4096\n')).toEqual({ requested: 65_535, somaxconn: 4096, effective: 4096 });
    expect(listenBacklog(1024, '4096\n')).toEqual({ requested: 1024, somaxconn: 4096, effective: 1024 });
    expect(listenBacklog(65_535, null)).toEqual({ requested: 65_535, somaxconn: null, effective: 65_535 });
    expect(listenBacklog(65_535, 'garbage')).toEqual({ requested: 65_535, somaxconn: null, effective: 65_535 });
  });

  it("reads this machine's net.core.somaxconn", () => {
    expect(readSomaxconn()).toBe(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  });

  it('warns, saying what to raise, when somaxconn holds it below 4096; logs it otherwise', () => {
    const lines: Array<[string, object, string]> = [];
    const logger = { info: (o: object, m: string) => lines.push(['info', o, m]), warn: (o: object, m: string) => lines.push(['warn', o, m]) };
    logListenBacklog(logger, 65_535, '128');
    logListenBacklog(logger, 65_535, '4096');
    logListenBacklog(logger, 100, '4096'); // asked for little on purpose: not the kernel's doing
    expect(lines).toEqual([
      ['warn', { httpListenBacklog: 128, requested: 65_535, somaxconn: 128 }, expect.stringContaining('raise net.core.somaxconn')],
      ['info', { httpListenBacklog: 4096, requested: 65_535, somaxconn: 4096 }, expect.stringContaining('HTTP listen backlog')],
      ['info', { httpListenBacklog: 100, requested: 100, somaxconn: 4096 }, expect.stringContaining('HTTP listen backlog')],
    ]);
  });
});
