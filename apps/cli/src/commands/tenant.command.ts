/**
 * `spool tenant list|describe|create|update|delete`: tenants over the security admin routes
 * (/v1/admin/tenants, and /v1/tenants/{tenant}/usage for describe; docs/security.md). Limits not
 * given at creation are unlimited; `update` (PATCH) changes only the limits given, `unlimited`
 * (or `none`) removing one, and the broker applies it from its next topic creation or produce.
 * Needs an admin credential (describe: the tenant's own principals too).
 */
import { Option, type Command } from 'commander';
import { createTenant, deleteTenant, getTenantUsage, listTenants, updateTenant, type CreateTenant, type Tenant, type UpdateTenant } from '../../../../sdk/src/index.js';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { renderFields, renderTable } from '../output/table.js';
import { asArgParser, parseInteger, parseIntOption } from './options.js';

const limit = (v: number | null): string => (v === null ? 'unlimited' : String(v));

/**
 * For update: a non-negative integer, or `unlimited` / `none` (the limit is removed). Not null:
 * commander turns a parser's null into ''.
 */
function parseLimit(name: string): (v: string) => number | 'unlimited' {
  return asArgParser((v: string) => (/^(unlimited|none)$/i.test(v.trim()) ? 'unlimited' : parseInteger(v, name, 0)));
}

type LimitOption = number | 'unlimited' | undefined;
const limitValue = (v: LimitOption): number | null | undefined => (v === 'unlimited' ? null : v);

const summary = (t: Tenant): string => `topics ${limit(t.maxTopics)}, partitions ${limit(t.maxPartitions)}, retained bytes ${limit(t.maxRetainedBytes)}`;

export function registerTenantCommands(program: Command, runtime: Runtime): void {
  const tenant = program.command('tenant').description('tenants: namespaces of topics, groups and principals with their own limits');

  tenant
    .command('list')
    .alias('ls')
    .description('list the tenants with their limits')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { tenants } = await ctx.api.call((base) => listTenants(base));
      ctx.output.result({ tenants }, () =>
        tenants.length === 0
          ? 'no tenants\n'
          : renderTable(tenants, [
              { header: 'NAME', value: (t) => t.name },
              { header: 'MAX-TOPICS', value: (t) => limit(t.maxTopics) },
              { header: 'MAX-PARTITIONS', value: (t) => limit(t.maxPartitions) },
              { header: 'MAX-RETAINED-BYTES', value: (t) => limit(t.maxRetainedBytes) },
              { header: 'CREATED', value: (t) => new Date(t.createdAtMs).toISOString() },
            ]),
      );
    });

  tenant
    .command('describe')
    .description("a tenant's usage: topics, partitions, stored bytes, bytes and records produced and fetched, requests, connections")
    .argument('<tenant>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const usage = await ctx.api.call((base) => getTenantUsage({ ...base, path: { tenant: name } }));
      ctx.output.result(usage, () =>
        renderFields([
          ['Tenant', usage.tenant],
          ['Topics', usage.topics],
          ['Partitions', usage.partitions],
          ['Stored bytes', usage.storedBytes],
          ['Produced bytes', usage.producedBytes],
          ['Produced records', usage.producedRecords],
          ['Fetched bytes', usage.fetchedBytes],
          ['Fetched records', usage.fetchedRecords],
          ['Requests', usage.requests],
          ['Connections', usage.connections],
        ]),
      );
    });

  tenant
    .command('create')
    .description('create a tenant (its topics and groups are named <tenant>.<name>; its principals User:<tenant>.<name>)')
    .argument('<name>')
    .addOption(new Option('--max-topics <n>', 'most topics (default: unlimited)').argParser(parseIntOption('--max-topics', 0)))
    .addOption(new Option('--max-partitions <n>', 'most partitions over all its topics').argParser(parseIntOption('--max-partitions', 0)))
    .addOption(new Option('--max-retained-bytes <n>', 'most bytes its topics may keep; produce is refused beyond').argParser(parseIntOption('--max-retained-bytes', 0)))
    .action(async (name: string, opts: { maxTopics?: number; maxPartitions?: number; maxRetainedBytes?: number }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const body: CreateTenant = {
        name,
        ...(opts.maxTopics !== undefined && { maxTopics: opts.maxTopics }),
        ...(opts.maxPartitions !== undefined && { maxPartitions: opts.maxPartitions }),
        ...(opts.maxRetainedBytes !== undefined && { maxRetainedBytes: opts.maxRetainedBytes }),
      };
      const created: Tenant = await ctx.api.call((base) => createTenant({ ...base, body }));
      ctx.output.result(created, () => `created tenant ${created.name} (${summary(created)})\n`);
    });

  tenant
    .command('update')
    .alias('alter')
    .description("change a tenant's limits: only those given change; 'unlimited' removes one")
    .argument('<name>')
    .addOption(new Option('--max-topics <n|unlimited>', 'most topics').argParser(parseLimit('--max-topics')))
    .addOption(new Option('--max-partitions <n|unlimited>', 'most partitions over all its topics').argParser(parseLimit('--max-partitions')))
    .addOption(new Option('--max-retained-bytes <n|unlimited>', 'most bytes its topics may keep; produce is refused beyond').argParser(parseLimit('--max-retained-bytes')))
    .action(async (name: string, opts: { maxTopics?: LimitOption; maxPartitions?: LimitOption; maxRetainedBytes?: LimitOption }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const body: UpdateTenant = {
        ...(opts.maxTopics !== undefined && { maxTopics: limitValue(opts.maxTopics) }),
        ...(opts.maxPartitions !== undefined && { maxPartitions: limitValue(opts.maxPartitions) }),
        ...(opts.maxRetainedBytes !== undefined && { maxRetainedBytes: limitValue(opts.maxRetainedBytes) }),
      };
      if (Object.keys(body).length === 0) throw usageError('name a limit to change: --max-topics, --max-partitions or --max-retained-bytes', "a number sets it, 'unlimited' removes it");
      const updated: Tenant = await ctx.api.call((base) => updateTenant({ ...base, path: { tenant: name }, body }));
      ctx.output.result(updated, () => `updated tenant ${updated.name} (${summary(updated)})\n`);
    });

  tenant
    .command('delete')
    .alias('rm')
    .description('delete tenants with their API keys, SCRAM credentials, ACLs and quotas (their topics stay)')
    .argument('<name...>')
    .option('--if-exists', 'succeed if a tenant does not exist')
    .action(async (names: string[], opts: { ifExists?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const deleted: string[] = [];
      for (const name of names) {
        try {
          await ctx.api.call((base) => deleteTenant({ ...base, path: { tenant: name } }));
          deleted.push(name);
        } catch (err) {
          if (opts.ifExists && err instanceof CliError && err.code === 'RESOURCE_NOT_FOUND') continue;
          throw err;
        }
      }
      ctx.output.result({ deleted }, () => deleted.map((n) => `deleted tenant ${n}\n`).join(''));
    });
}
