/**
 * Express vs Fastify under Nest, same run, same machine, same body: a controller that takes a
 * produce-shaped JSON body (1000 records, 100-byte values), walks it, and answers 1000 results,
 * which is what the adapter does on the produce path (routing, body parsing, serialization).
 * The server runs in a child process so the load generator does not share its event loop.
 *
 *   npm run build && node dist/bench/http-adapter.bench.js
 */
import 'reflect-metadata';
import { Body, Controller, type INestApplication, Module, Param, Post, HttpCode } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile, produceBody, runLoad } from './lib/load.js';

@Controller('v1/topics/:topic')
class EchoProduceController {
  @Post('records')
  @HttpCode(200)
  produce(@Param('topic') _topic: string, @Body() body: { records: Array<{ value: unknown }> }): unknown {
    const results = new Array(body.records.length);
    for (let i = 0; i < results.length; i++) results[i] = { partition: 0, offset: i, timestamp: 1767225600000 };
    return { results };
  }
}

@Module({ controllers: [EchoProduceController] })
class BenchModule {}

async function serve(adapter: string): Promise<void> {
  let app: INestApplication;
  if (adapter === 'fastify') {
    app = await NestFactory.create(BenchModule, new FastifyAdapter({ bodyLimit: 16 * 1024 * 1024 }), { logger: false });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(BenchModule, new ExpressAdapter(), { logger: false, bodyParser: false });
    express.useBodyParser('json', { limit: '16mb' });
    app = express;
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.send?.({ port });
}

async function measure(adapter: string, body: Buffer, durationMs: number): Promise<string> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', adapter], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const url = `http://127.0.0.1:${port}/v1/topics/bench/records`;
  await runLoad({ url, method: 'POST', body, connections: 8, durationMs: 1000 }); // warm-up (JIT)
  const r = await runLoad({ url, method: 'POST', body, connections: 8, durationMs });
  child.kill();
  const rps = (r.requests / r.elapsedMs) * 1000;
  return `${adapter.padEnd(8)} ${rps.toFixed(0).padStart(6)} req/s  ${((rps * 1000) / 1e3).toFixed(0).padStart(6)}k records/s  p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms  p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms`;
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]);
} else {
  const durationMs = Number(process.env.BENCH_DURATION_MS ?? 5000);
  const body = produceBody(1000, 100);
  console.log(`Nest HTTP adapters: POST ${body.length}-byte produce bodies (1000 records x 100 B), 8 connections, ${durationMs} ms each`);
  // Alternate twice so drift in machine load (2 shared cores) shows up as run-to-run spread.
  for (const adapter of ['fastify', 'express', 'fastify', 'express']) console.log(await measure(adapter, body, durationMs));
}
