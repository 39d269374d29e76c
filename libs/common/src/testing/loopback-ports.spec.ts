import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { reserveLoopbackPort } from './loopback-ports.js';

describe('reserveLoopbackPort', () => {
  it('hands out distinct ports below the ephemeral range, each bindable and reserved by a file', async () => {
    const ports = await Promise.all(Array.from({ length: 50 }, () => reserveLoopbackPort()));
    expect(new Set(ports).size).toBe(50);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(32_000);
      expect(existsSync(path.join(os.tmpdir(), 'spool-test-ports', String(port)))).toBe(true);
    }
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
