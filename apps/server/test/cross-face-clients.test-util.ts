/**
 * Clients of the cross-face matrix (cross-face.e2e-spec.ts) that no library gives: a raw ws
 * client answering requests by id, an SSE reader, a runner for kcat and a parser of its
 * length-prefixed output format.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { hex, type Frame, type Rendered, type Seen } from './cross-face-records.test-util.js';

export async function postJson(base: string, pathname: string, body: unknown): Promise<{ status: number; body: { results?: unknown[] } }> {
  const res = await fetch(base + pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { results?: unknown[] } };
}

/** A raw ws client: JSON frames in, JSON frames out, requests answered by id. */
export class RawWs {
  private readonly waiting = new Map<string, (frame: Frame) => void>();
  onFrame: (frame: Frame) => void = () => undefined;
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if ((frame.type === 'ack' || frame.type === 'error') && frame.id !== undefined && this.waiting.has(frame.id)) {
        this.waiting.get(frame.id)!(frame);
        this.waiting.delete(frame.id);
      } else this.onFrame(frame);
    });
  }
  static async open(url: string): Promise<RawWs> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new RawWs(socket);
  }
  request(frame: Record<string, unknown>): Promise<Frame> {
    return new Promise((resolve) => {
      this.waiting.set(frame.id as string, resolve);
      this.socket.send(JSON.stringify(frame));
    });
  }
  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }
  close(): void {
    this.socket.terminate();
  }
}

/** Waits until `done()`, polling; a bound, not a timing assertion. */
export async function until(done: () => boolean, what: () => string, limitMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`not done within ${limitMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function run(file: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'buffer', timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${err.message}\n${stderr.toString()}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Parses kcat -f '%p %o %K %S|%k%s|%h\n' output: lengths first, so key and value bytes may be anything. */
export function parseKcat(out: Buffer): Seen[] {
  const seen: Seen[] = [];
  let pos = 0;
  const field = (end: number): string => {
    const at = out.indexOf(end, pos);
    const text = out.toString('latin1', pos, at);
    pos = at + 1;
    return text;
  };
  while (pos < out.length) {
    const partition = Number(field(0x20));
    const offset = Number(field(0x20));
    const keyLength = Number(field(0x20));
    const valueLength = Number(field(0x7c));
    const key = keyLength < 0 ? null : out.subarray(pos, pos + keyLength);
    pos += Math.max(0, keyLength);
    const value = valueLength < 0 ? null : out.subarray(pos, pos + valueLength);
    pos += Math.max(0, valueLength) + 1; // and the '|'
    const at = out.indexOf(0x0a, pos);
    const headerText = out.toString('utf8', pos, at);
    pos = at + 1;
    const headers = headerText === '' ? [] : headerText.split(',').map((pair) => {
      const eq = pair.indexOf('=');
      const v = pair.slice(eq + 1);
      return [pair.slice(0, eq), v === 'NULL' ? null : Buffer.from(v).toString('hex')] as const;
    });
    seen.push({ partition, offset, key: hex(key), value: hex(value), headers });
  }
  return seen;
}

/** Reads SSE events from `pathname` until `count` record events arrived. */
export function readSse(base: string, pathname: string, count: number): Promise<Rendered[]> {
  return new Promise((resolve, reject) => {
    const records: Rendered[] = [];
    const req = http.get(base + pathname, (res) => {
      let buffered = '';
      const timer = setTimeout(() => (req.destroy(), reject(new Error(`SSE ${pathname}: ${records.length} of ${count} records`))), 30_000);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const lines = block.split('\n');
          if (lines.includes('event: error')) return reject(new Error(`SSE ${pathname}: ${block}`));
          if (lines.some((l) => l.startsWith('event: '))) continue; // the topic description and group events
          const data = lines.find((l) => l.startsWith('data: '));
          if (data !== undefined) records.push(JSON.parse(data.slice(6)) as Rendered);
        }
        if (records.length >= count) {
          clearTimeout(timer);
          req.destroy();
          resolve(records);
        }
      });
    });
    req.on('error', () => undefined);
  });
}
