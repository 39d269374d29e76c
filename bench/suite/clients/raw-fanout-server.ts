/**
 * The floor of fan-out in Node on this machine: a process that does nothing but write the same
 * bytes to every connected TCP socket. Run as a child process by the fan-out workload (so it has
 * its own event loop, as the broker does): it prints its port, accepts connections, and on the
 * line `go <recordsPerSec> <durationMs> <valueBytes> <sockets>` from any of them waits until that
 * many sockets are connected, then runs an open loop with 1 ms
 * ticks: each tick, the records due (stamped with their scheduled times, as the Spool producer
 * stamps them) as one line of JSON, written once per socket. No storage, no protocol, no framing
 * beyond the newline: what a broker's fan-out costs beyond this is the broker's.
 *
 *   node dist/bench/suite/clients/raw-fanout-server.js
 */
import net from 'node:net';
import { nowMs, stampedValue } from '../records.js';

const sockets = new Set<net.Socket>();

function run(rate: number, durationMs: number, valueBytes: number): void {
  const startMs = nowMs();
  const total = Math.round((rate * durationMs) / 1000);
  let sent = 0;
  const tick = (): void => {
    const due = Math.min(total, Math.floor(((nowMs() - startMs) * rate) / 1000)) - sent;
    if (due > 0) {
      const values: string[] = [];
      for (let i = 0; i < due; i++) values.push(`{"value":${stampedValue(startMs + ((sent + i) * 1000) / rate, valueBytes)}}`);
      sent += due;
      const line = Buffer.from(`{"records":[${values.join(',')}]}\n`);
      for (const socket of sockets) socket.write(line);
    }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => undefined);
  let pending = '';
  socket.on('data', (data) => {
    pending += data.toString('latin1');
    const nl = pending.indexOf('\n');
    if (nl < 0) return;
    const [word, rate, durationMs, valueBytes, count] = pending.slice(0, nl).split(' ');
    pending = pending.slice(nl + 1);
    if (word !== 'go') return;
    const start = (): void => {
      if (sockets.size < Number(count)) setTimeout(start, 5);
      else run(Number(rate), Number(durationMs), Number(valueBytes));
    };
    start();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
