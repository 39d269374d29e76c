/**
 * `spool acl list|create|delete`: kafka-acls.sh's jobs over the security admin routes
 * (describeAcls, createAcls, deleteAcls; docs/security.md). The resource is named as kafka-acls
 * names it (--topic, --group, --cluster, --transactional-id) with --resource-pattern-type;
 * `create` makes one binding per principal and operation, as kafka-acls --add does.
 * `delete` needs a filter: an empty one would match every binding (kafka-acls asks for
 * confirmation there; a script cannot answer, so the CLI refuses unless --all is given).
 */
import { Command, Option } from 'commander';
import { createAcls, deleteAcls, describeAcls, type AclBinding } from '../../../../sdk/src/index.js';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { collect } from './options.js';

const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'] as const;
/** The cluster resource's only name, as in Kafka. */
const CLUSTER_NAME = 'kafka-cluster';

interface ResourceOptions {
  topic?: string;
  group?: string;
  cluster?: boolean;
  transactionalId?: string;
  resourcePatternType?: string;
}

interface FilterOptions extends ResourceOptions {
  principal?: string;
  host?: string;
  operation?: string;
  permission?: string;
}

type Filter = {
  resourceType?: AclBinding['resourceType'];
  resourceName?: string;
  patternType?: 'LITERAL' | 'PREFIXED' | 'ANY' | 'MATCH';
  principal?: string;
  host?: string;
  operation?: AclBinding['operation'];
  permissionType?: AclBinding['permissionType'];
};

/** The one resource the options name, or undefined when they name none. */
function resourceOf(o: ResourceOptions): { resourceType: AclBinding['resourceType']; resourceName: string } | undefined {
  const named = [
    o.topic !== undefined && { resourceType: 'TOPIC' as const, resourceName: o.topic },
    o.group !== undefined && { resourceType: 'GROUP' as const, resourceName: o.group },
    o.cluster === true && { resourceType: 'CLUSTER' as const, resourceName: CLUSTER_NAME },
    o.transactionalId !== undefined && { resourceType: 'TRANSACTIONAL_ID' as const, resourceName: o.transactionalId },
  ].filter((r) => r !== false);
  if (named.length > 1) throw usageError('name one resource: --topic, --group, --cluster or --transactional-id');
  return named[0];
}

/** `acme` -> `User:acme`: the broker stores principals with their type, as Kafka does. */
function principalOf(p: string): string {
  return p.includes(':') ? p : `User:${p}`;
}

function withResourceOptions(cmd: Command, patternTypes: readonly string[], patternDefault: string): Command {
  return cmd
    .option('--topic <name>', 'a topic (with --resource-pattern-type prefixed: every topic starting with it; "*": every topic)')
    .option('--group <name>', 'a consumer group')
    .option('--cluster', `the cluster (${CLUSTER_NAME})`)
    .option('--transactional-id <id>', 'a transactional id')
    .addOption(new Option('--resource-pattern-type <type>', `how the name matches (default: ${patternDefault})`).choices(patternTypes));
}

function toFilter(o: FilterOptions): Filter {
  const resource = resourceOf(o);
  return {
    ...resource,
    ...(o.resourcePatternType !== undefined && { patternType: o.resourcePatternType.toUpperCase() as Filter['patternType'] }),
    ...(o.principal !== undefined && { principal: principalOf(o.principal) }),
    ...(o.host !== undefined && { host: o.host }),
    ...(o.operation !== undefined && { operation: o.operation.toUpperCase() as Filter['operation'] }),
    ...(o.permission !== undefined && { permissionType: o.permission.toUpperCase() as Filter['permissionType'] }),
  };
}

function aclTable(acls: readonly AclBinding[]): string {
  if (acls.length === 0) return 'no ACLs\n';
  return renderTable(acls, [
    { header: 'PRINCIPAL', value: (a) => a.principal },
    { header: 'PERMISSION', value: (a) => a.permissionType },
    { header: 'OPERATION', value: (a) => a.operation },
    { header: 'RESOURCE-TYPE', value: (a) => a.resourceType },
    { header: 'RESOURCE-NAME', value: (a) => a.resourceName },
    { header: 'PATTERN', value: (a) => a.patternType },
    { header: 'HOST', value: (a) => a.host ?? '*' },
  ]);
}

function withFilterOptions(cmd: Command): Command {
  return withResourceOptions(cmd, ['literal', 'prefixed', 'any', 'match'], 'any; match: every binding that applies to the name')
    .option('--principal <principal>', 'User:<name> (or just <name>)')
    .option('--host <host>', 'client address')
    .addOption(new Option('--operation <op>', 'operation').choices([...OPERATIONS, ...OPERATIONS.map((o) => o.toLowerCase())]))
    .addOption(new Option('--permission <type>', 'ALLOW or DENY').choices(['allow', 'deny', 'ALLOW', 'DENY']));
}

export function registerAclCommands(program: Command, runtime: Runtime): void {
  const acl = program.command('acl').description('list, create and delete ACLs (needs an admin credential)');

  withFilterOptions(acl.command('list').alias('ls').description('list ACLs, all or those matching the filter')).action(async (opts: FilterOptions, cmd: Command) => {
    const ctx = Context.of(cmd, runtime);
    const filter = toFilter(opts);
    const { acls } = await ctx.api.call((base) => describeAcls({ ...base, query: filter }));
    ctx.output.result({ acls }, () => aclTable(acls));
  });

  withResourceOptions(acl.command('create').alias('add').description('allow (or, with --deny, deny) principals operations on a resource'), ['literal', 'prefixed'], 'literal')
    .requiredOption('--principal <principal...>', 'User:<name> (or just <name>); several allowed; User:* is everyone')
    .requiredOption('--operation <op>', `operation (repeatable): ${OPERATIONS.join(', ')}`, collect, [])
    .option('--deny', 'a DENY binding (it beats any ALLOW)')
    .option('--host <host>', 'only from this client address', '*')
    .action(async (opts: ResourceOptions & { principal: string[]; operation: string[]; deny?: boolean; host: string }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const resource = resourceOf(opts);
      if (resource === undefined) throw usageError('name the resource: --topic <name>, --group <name>, --cluster or --transactional-id <id>', 'see `spool acl create --help`');
      const operations = opts.operation.map((o) => o.toUpperCase());
      const unknown = operations.find((o) => !(OPERATIONS as readonly string[]).includes(o));
      if (unknown !== undefined) throw usageError(`unknown operation ${JSON.stringify(unknown)}; known: ${OPERATIONS.join(', ')}`);
      const patternType = (opts.resourcePatternType?.toUpperCase() ?? 'LITERAL') as AclBinding['patternType'];
      const acls: AclBinding[] = opts.principal.flatMap((p) =>
        operations.map((operation) => ({ ...resource, patternType, principal: principalOf(p), host: opts.host, operation: operation as AclBinding['operation'], permissionType: opts.deny ? ('DENY' as const) : ('ALLOW' as const) })),
      );
      const { results } = await ctx.api.call((base) => createAcls({ ...base, body: { acls } }));
      const failed = results.map((r, i) => ({ ...r, acl: acls[i]! })).filter((r) => r.errorCode !== null);
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new CliError(
          `${failed.length} of ${acls.length} ACLs were refused; the first: ${first.errorCode}: ${first.errorMessage ?? ''} (${first.acl.principal} ${first.acl.operation} on ${first.acl.resourceType} ${first.acl.resourceName})`,
          ExitCode.USAGE,
          'the others were created: `spool acl list` shows them',
          first.errorCode ?? 'ERROR',
        );
      }
      ctx.output.result({ acls }, () => `created ${acls.length} ACL${acls.length === 1 ? '' : 's'}\n${aclTable(acls)}`);
    });

  withFilterOptions(acl.command('delete').alias('rm').description('delete the ACLs matching the filter'))
    .option('--all', 'allow an empty filter (deletes every ACL)')
    .action(async (opts: FilterOptions & { all?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const filter = toFilter(opts);
      if (Object.keys(filter).length === 0 && opts.all !== true) {
        throw usageError('an empty filter would delete every ACL', 'name a resource or a principal (see `spool acl delete --help`), or add --all');
      }
      const { acls } = await ctx.api.call((base) => deleteAcls({ ...base, query: filter }));
      ctx.output.result({ acls }, () => (acls.length === 0 ? 'no ACL matched: nothing deleted\n' : `deleted ${acls.length} ACL${acls.length === 1 ? '' : 's'}\n${aclTable(acls)}`));
    });
}
