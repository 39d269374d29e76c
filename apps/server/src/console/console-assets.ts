/**
 * Serves the web console (apps/console, built by `npm run build:console` into
 * apps/console/dist) at /console/ on every broker: index.html at /console/ and its hashed
 * bundles at /console/assets/<name>-<hash>.{js,css}. The console talks to the broker only through
 * the public HTTP API, WebSocket and /metrics, so serving it needs nothing else. Files are looked
 * up from the working directory (the repository root, or /app in the image); an unbuilt console
 * is a 404 that says how to build it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** What a bundle file name may be: no path separators, no leading dot. */
const ASSET_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(js|css|js\.map)$/;

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

@Injectable()
export class ConsoleAssets implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    const dist = path.join(process.cwd(), 'apps', 'console', 'dist');
    fastify.get('/console', (_req, reply) => reply.redirect('/console/', 301));
    // index.html may change with every build: revalidate it; the bundles it names are content-hashed.
    fastify.get('/console/', (_req, reply) => send(reply, path.join(dist, 'index.html'), 'text/html; charset=utf-8', 'no-cache'));
    fastify.get<{ Params: { file: string } }>('/console/assets/:file', (req, reply) => {
      const file = req.params.file;
      const match = ASSET_FILE.exec(file);
      if (match === null) return notFound(reply, `no console asset ${JSON.stringify(file)}`);
      const type = CONTENT_TYPES[file.endsWith('.map') ? 'map' : match[1]!]!;
      return send(reply, path.join(dist, 'assets', file), type, 'public, max-age=31536000, immutable');
    });
  }
}

async function send(reply: FastifyReply, file: string, contentType: string, cacheControl: string): Promise<FastifyReply> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return notFound(reply, `${path.basename(file)} is missing: build the console with \`npm run build:console\``);
  }
  return reply.header('content-type', contentType).header('cache-control', cacheControl).send(body);
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).header('content-type', 'application/json').send({ error: { code: 'NOT_FOUND', message, retriable: false } });
}
