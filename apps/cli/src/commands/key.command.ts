/**
 * `spool key list|create|revoke`: API keys over the security admin routes (/v1/admin/api-keys,
 * docs/security.md). The broker keeps only a scrypt hash of each key, so `create` prints the key
 * once (stdout, as data) with a note to keep it, as `subscription create` does with its secret;
 * `list` shows ids, principals and states, never a secret. Needs an admin credential.
 */
import type { Command } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../../../sdk/src/index.js';
import { Context, type Runtime } from '../context.js';
import { renderTable } from '../output/table.js';
import { parseDurationMs, parseTimestamp } from './options.js';

function stateOf(k: ApiKeyInfo, nowMs: number): string {
  if (k.revokedAtMs !== null) return 'revoked';
  if (k.expiresAtMs !== null && k.expiresAtMs <= nowMs) return 'expired';
  return 'valid';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function registerKeyCommands(program: Command, runtime: Runtime): void {
  const key = program.command('key').description('API keys: create one for a principal, list them, revoke one');

  key
    .command('list')
    .alias('ls')
    .description('list the stored API keys (ids, principals, states; never a secret)')
    .option('--tenant <tenant>', "only this tenant's keys")
    .action(async (opts: { tenant?: string }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { apiKeys } = await ctx.api.call((base) => listApiKeys({ ...base, ...(opts.tenant !== undefined && { query: { tenant: opts.tenant } }) }));
      const now = Date.now();
      ctx.output.result({ apiKeys }, () =>
        apiKeys.length === 0
          ? 'no API keys\n'
          : renderTable(apiKeys, [
              { header: 'KEY-ID', value: (k) => k.keyId },
              { header: 'PRINCIPAL', value: (k) => k.principal },
              { header: 'TENANT', value: (k) => k.tenant },
              { header: 'STATE', value: (k) => stateOf(k, now) },
              { header: 'CREATED', value: (k) => iso(k.createdAtMs) },
              { header: 'EXPIRES', value: (k) => iso(k.expiresAtMs) },
              { header: 'DESCRIPTION', value: (k) => k.description || null },
            ]),
      );
    });

  key
    .command('create')
    .description('create an API key for a principal (prints the key once)')
    .argument('<principal>', 'User:<name> or <name> (a tenant\'s principal: <tenant>.<name>)')
    .option('--description <text>', 'what the key is for')
    .option('--expires-in <duration>', 'expire after this long (e.g. 90d, 12h, PT15M)')
    .option('--expires-at <time>', 'expire at this time (ms since the epoch or ISO 8601)')
    .action(async (principal: string, opts: { description?: string; expiresIn?: string; expiresAt?: string }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const expiresAtMs =
        opts.expiresAt !== undefined ? parseTimestamp(opts.expiresAt, '--expires-at') : opts.expiresIn !== undefined ? Date.now() + parseDurationMs(opts.expiresIn, '--expires-in') : undefined;
      const body = { principal, ...(opts.description !== undefined && { description: opts.description }), ...(expiresAtMs !== undefined && { expiresAtMs }) };
      const created = await ctx.api.call((base) => createApiKey({ ...base, body }));
      if (ctx.output.format === 'table') ctx.output.note('keep the key: the broker stores only its hash and cannot show it again');
      ctx.output.result(created, () => `created API key ${created.keyId} for ${created.principal}${created.expiresAtMs === null ? '' : ` (expires ${iso(created.expiresAtMs)})`}\nkey: ${created.apiKey}\n`);
    });

  key
    .command('revoke')
    .description('revoke API keys: refused from the next request on (cannot be undone)')
    .argument('<key-id...>')
    .action(async (keyIds: string[], _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const revoked: ApiKeyInfo[] = [];
      for (const keyId of keyIds) revoked.push(await ctx.api.call((base) => revokeApiKey({ ...base, path: { keyId } })));
      ctx.output.result({ apiKeys: revoked }, () => revoked.map((k) => `revoked API key ${k.keyId} of ${k.principal}\n`).join(''));
    });
}
