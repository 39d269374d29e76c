/**
 * Swagger UI at /docs from the swagger-ui-dist package: one HTML page and the three assets it
 * loads, read once at start-up and served from memory. Served directly rather than through
 * SwaggerModule.setup, which needs @fastify/static (whose ESM-only dependency Jest on Node 20
 * cannot load), so the UI is the same in tests as in production.
 */
import type { HttpServer } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

function page(base: string, documentUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spool HTTP API</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(documentUrl)}, dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
</script>
</body>
</html>
`;
}

export function serveSwaggerUi(adapter: HttpServer, base: string, documentUrl: string): void {
  const distDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const html = page(base, documentUrl);
  const send = (res: unknown, body: string | Buffer, type: string): void => {
    adapter.setHeader(res, 'content-type', type);
    adapter.setHeader(res, 'cache-control', 'public, max-age=3600');
    adapter.reply(res, body, 200);
  };
  adapter.get(base, (_req: unknown, res: unknown) => send(res, html, 'text/html; charset=utf-8'));
  for (const [file, type] of Object.entries(ASSETS)) {
    const bytes = readFileSync(path.join(distDir, file));
    adapter.get(`${base}/${file}`, (_req: unknown, res: unknown) => send(res, bytes, type));
  }
}
