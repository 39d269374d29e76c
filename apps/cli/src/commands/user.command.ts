/**
 * `spool user list|set|delete`: SASL/SCRAM credentials over the security admin routes
 * (/v1/admin/scram-credentials; docs/security.md), the job of kafka-configs.sh --entity-type users
 * --alter --add-config 'SCRAM-SHA-256=[iterations=...,password=...]'. The password comes from
 * --password-stdin (kept off command lines, where `ps` and shell history would show it) or
 * --password; the broker stores only the salted SCRAM keys, and `list` shows no key material.
 */
import { Option, type Command } from 'commander';
import { deleteScramCredential, listScramCredentials, upsertScramCredential, type UpsertScramCredential } from '../../../../sdk/src/index.js';
import { usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { renderTable } from '../output/table.js';
import { parseIntOption } from './options.js';

const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

export function registerUserCommands(program: Command, runtime: Runtime): void {
  const user = program.command('user').description('SASL/SCRAM users: the credentials Kafka clients log in with');

  user
    .command('list')
    .alias('ls')
    .description('list the SCRAM credentials (user, mechanism, iterations; no key material)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { credentials } = await ctx.api.call((base) => listScramCredentials(base));
      ctx.output.result({ credentials }, () =>
        credentials.length === 0
          ? 'no SCRAM users\n'
          : renderTable(credentials, [
              { header: 'USER', value: (c) => c.user },
              { header: 'MECHANISM', value: (c) => c.mechanism },
              { header: 'ITERATIONS', value: (c) => c.iterations },
            ]),
      );
    });

  user
    .command('set')
    .description("create or replace a user's SCRAM credential for one mechanism")
    .argument('<user>', 'the SCRAM user name (a tenant\'s user: <tenant>.<name>)')
    .addOption(new Option('--mechanism <mechanism>', 'SCRAM mechanism').choices(MECHANISMS).default('SCRAM-SHA-256'))
    .option('--password-stdin', 'read the password from stdin (keeps it off the command line)')
    .option('--password <password>', 'the password (visible to `ps` and shell history: prefer --password-stdin)')
    .addOption(new Option('--iterations <n>', 'PBKDF2 iterations (4096-16384; default 4096)').argParser(parseIntOption('--iterations', 4096, 16384)))
    .action(async (name: string, opts: { mechanism: UpsertScramCredential['mechanism']; passwordStdin?: boolean; password?: string; iterations?: number }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      if ((opts.password !== undefined) === (opts.passwordStdin === true)) throw usageError('give the password with --password-stdin (or --password), one of them');
      const password = opts.password ?? (await readAll(runtime.stdin)).replace(/\r?\n$/, '');
      if (password === '') throw usageError('the password is empty');
      const body: UpsertScramCredential = { user: name, mechanism: opts.mechanism, password, ...(opts.iterations !== undefined && { iterations: opts.iterations }) };
      const saved = await ctx.api.call((base) => upsertScramCredential({ ...base, body }));
      ctx.output.result(saved, () => `saved the ${saved.mechanism} credential of ${saved.user} (${saved.iterations} iterations)\n`);
    });

  user
    .command('delete')
    .alias('rm')
    .description("delete a user's SCRAM credential for one mechanism (its Kafka connections are closed)")
    .argument('<user>')
    .addOption(new Option('--mechanism <mechanism>', 'SCRAM mechanism').choices(MECHANISMS).default('SCRAM-SHA-256'))
    .action(async (name: string, opts: { mechanism: UpsertScramCredential['mechanism'] }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      await ctx.api.call((base) => deleteScramCredential({ ...base, path: { user: name }, query: { mechanism: opts.mechanism } }));
      ctx.output.result({ user: name, mechanism: opts.mechanism, deleted: true }, () => `deleted the ${opts.mechanism} credential of ${name}\n`);
    });
}
