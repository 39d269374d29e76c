/**
 * `spool sdk generate --out <dir>`: fetches the broker's AsyncAPI document (GET /asyncapi.json)
 * and writes <dir>/topics.ts, TypeScript types per topic with schemas and a typed produce /
 * subscribe client over the generated HTTP SDK (sdk/topic-sdk.generator.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { generateTopicSdk, topicsOf } from '../sdk/topic-sdk.generator.js';

export function registerSdkCommands(program: Command, runtime: Runtime): void {
  const sdk = program.command('sdk').description('typed clients generated from the broker\'s AsyncAPI document');
  sdk
    .command('generate')
    .description('write <out>/topics.ts: TypeScript types per topic with schemas, and produceTo / subscribeTo over @spool/sdk')
    .requiredOption('--out <dir>', 'directory to write topics.ts into (created if missing)')
    .option('--sdk-import <module>', 'module the generated code imports the HTTP SDK from', '@spool/sdk')
    .action(async (opts: { out: string; sdkImport: string }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { url, token, timeoutMs } = ctx.connection;
      const source = new URL('/asyncapi.json', url).toString();
      let document: Record<string, unknown>;
      try {
        const res = await fetch(source, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) {
          const auth = res.status === 401 || res.status === 403;
          throw new CliError(`GET ${source} answered ${res.status}: ${(await res.text()).slice(0, 500)}`, auth ? ExitCode.AUTH : ExitCode.ERROR, auth ? 'pass a token (--token, SPOOL_TOKEN or a profile)' : undefined, 'ASYNCAPI_UNAVAILABLE');
        }
        document = (await res.json()) as Record<string, unknown>;
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`cannot read ${source}: ${(err as Error).message}`, ExitCode.UNAVAILABLE, 'is the broker running at --url?', 'ASYNCAPI_UNAVAILABLE');
      }
      let text: string;
      try {
        text = generateTopicSdk(document, { sdkImport: opts.sdkImport, source });
      } catch (err) {
        throw new CliError(`cannot generate from ${source}: ${(err as Error).message}`, ExitCode.ERROR, undefined, 'ASYNCAPI_INVALID');
      }
      await mkdir(opts.out, { recursive: true });
      const file = path.join(opts.out, 'topics.ts');
      await writeFile(file, text);
      const topics = topicsOf(document).map((t) => t.topic);
      ctx.output.result({ file, topics }, () => `wrote ${file}: ${topics.length} topic${topics.length === 1 ? '' : 's'}${topics.length > 0 ? ` (${topics.join(', ')})` : ''}\n`);
    });
}
