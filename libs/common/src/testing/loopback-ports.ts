/**
 * Loopback ports for the processes tests start (brokers, etcd, Redis), safe when several test
 * runs share one machine.
 *
 * Why not `listen(0)` and release: the OS hands such ports out of its ephemeral range
 * (`net.ipv4.ip_local_port_range`, 32768-60999 by default), the same range it takes outgoing
 * connections' local ports from, and between the release and the child's bind (or while a broker
 * is down between a kill and its restart on the same port) any connection or another run's
 * `listen(0)` may take it: the broker then dies with EADDRINUSE.
 *
 * Here a port is drawn at random below the ephemeral range and reserved across processes by
 * creating `<tmpdir>/spool-test-ports/<port>` exclusively (O_EXCL); a reservation older than
 * RESERVATION_MS is taken to be abandoned and may be taken over. The port must also bind on
 * 127.0.0.1 right now. Should no port be found that way, it falls back to the OS's choice.
 */
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Below Linux's default ephemeral range, above the well-known and most registered ports. */
const LOWEST_PORT = 10_000;
const HIGHEST_PORT = 32_000;
/** Longer than any test run holds a port (the long fault test's default run is a few minutes). */
const RESERVATION_MS = 30 * 60_000;
const ATTEMPTS = 200;

const reservations = path.join(os.tmpdir(), 'spool-test-ports');

/** A loopback port reserved for this caller for RESERVATION_MS, free on 127.0.0.1 now. */
export async function reserveLoopbackPort(): Promise<number> {
  await mkdir(reservations, { recursive: true });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (HIGHEST_PORT - LOWEST_PORT));
    if (!(await reserve(port))) continue;
    if (await bindable(port)) return port;
    // Something outside these tests holds it: keep the reservation, so no one else tries it soon.
  }
  return osChosenPort();
}

async function reserve(port: number): Promise<boolean> {
  const file = path.join(reservations, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      await (await open(file, 'wx')).close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const taken = await stat(file).catch(() => null);
      if (taken !== null && Date.now() - taken.mtimeMs < RESERVATION_MS) return false;
      // Abandoned (or just removed): take it over. A race with another taker is settled by O_EXCL.
      await unlink(file).catch(() => undefined);
    }
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function osChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
