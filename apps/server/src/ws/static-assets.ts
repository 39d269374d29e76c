/**
 * Files a browser needs from the broker itself: the ES modules of @spool/client (GET /client/<file>.js, built by
 * `npm run build:client` into client/dist), so a page can `import { SpoolClient } from
 * '/client/index.js'` with no bundler. Looked up from the working directory (the repository
 * root, or /app in the image); a missing file is a 404.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** A blank page with @spool/client loaded as `window.Spool`, for trying the client from the devtools console. */
const DEMO_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Spool client</title></head>
<body><p>@spool/client is loaded as <code>window.Spool</code>; try <code>new Spool.SpoolClient({ url: location.origin })</code> in the console.</p>
<script type="module">import * as Spool from '/client/index.js'; window.Spool = Spool; document.body.dataset.ready = 'true';</script>
</body></html>
`;

const CLIENT_FILE = /^[a-z0-9][a-z0-9.-]*\.(js|js\.map|d\.ts)$/;

@Injectable()
export class StaticAssets implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    const root = process.cwd();
    fastify.get('/client/', (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(DEMO_PAGE));
    fastify.get<{ Params: { file: string } }>('/client/:file', (req, reply) => {
      const file = req.params.file;
      if (!CLIENT_FILE.test(file)) return notFound(reply);
      const type = file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/json; charset=utf-8';
      return sendFile(reply, path.join(root, 'client', 'dist', file), type);
    });
  }
}

async function sendFile(reply: FastifyReply, file: string, contentType: string): Promise<FastifyReply> {
  try {
    const body = await readFile(file);
    return reply.header('content-type', contentType).header('cache-control', 'no-cache').send(body);
  } catch {
    return notFound(reply);
  }
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).header('content-type', 'application/json').send({ error: { code: 'NOT_FOUND', message: 'no such file', retriable: false } });
}
