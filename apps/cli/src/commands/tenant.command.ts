/**
 * `spool tenant list|describe|create|delete`: tenants over the security admin routes
 * (/v1/admin/tenants, and /v1/tenants/{tenant}/usage for describe; docs/security.md). Limits not
 * given are unlimited. Needs an admin credential (describe: the tenant's own principals too).
 */
import { Option, type Command } from 'commander';
import { createTenant, deleteTenant, getTenantUsage, listTenants, type CreateTenant, type Tenant } from '../../../../sdk/src/index.js';
import { CliError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { renderFields, renderTable } from '../output/table.js';
import { parseIntOption } from './options.js';

const limit = (v: number | null): string => (v === null ? 'unlimited' : String(v));

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
    .description("a tenant's usage: topics, partitions, stored bytes, bytes produced and fetched, requests, connections")
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
          ['Fetched bytes', usage.fetchedBytes],
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
      ctx.output.result(created, () => `created tenant ${created.name} (topics ${limit(created.maxTopics)}, partitions ${limit(created.maxPartitions)}, retained bytes ${limit(created.maxRetainedBytes)})\n`);
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
