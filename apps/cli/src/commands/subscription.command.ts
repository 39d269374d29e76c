/**
 * `spool subscription list|create|describe|update|pause|resume|delete`: push subscriptions
 * (webhooks, docs/webhooks.md) over the /v1/subscriptions routes. `update` is PATCH: it sends only
 * the settings given (the filter, like the API's, is replaced whole). The endpoint is `--endpoint`, because
 * `--url` is the broker's address for every command. The signing secret appears only in the
 * answer to create, so `create` prints it once (stdout, as data) with a note to keep it.
 */
import { Command, Option } from 'commander';
import {
  createSubscription,
  deleteSubscription,
  describeSubscription,
  listSubscriptions,
  pauseSubscription,
  resumeSubscription,
  updateSubscription,
  type CreateSubscription,
  type Subscription,
  type UpdateSubscription,
} from '../../../../sdk/src/index.js';
import { CliError, usageError } from '../cli.error.js';
import { Context, type Runtime } from '../context.js';
import { renderFields, renderTable } from '../output/table.js';
import { collect, parseIntOption, parsePairs, parseTimestamp } from './options.js';

const FORMATS = ['auto', 'json', 'string', 'binary'] as const;

function topicsOf(s: Subscription): string {
  return s.topics !== null ? s.topics.join(',') : `/${s.topicPattern ?? ''}/`;
}

function describeText(s: Subscription): string {
  const stats = s.stats;
  const head = renderFields([
    ['Subscription', s.name],
    ['State', s.state + (s.reason ? ` (${s.reason})` : '')],
    ['Endpoint', s.url],
    ['Topics', topicsOf(s)],
    ['Filter', s.filter === null ? null : JSON.stringify(s.filter)],
    ['Ordering', s.ordering],
    ['Concurrency', s.concurrency],
    ['Batch', `${s.batch.maxRecords ?? 1} records, ${s.batch.maxWaitMs ?? 200} ms`],
    ['Timeout ms', s.timeoutMs],
    ['Group', s.group],
    ['Dead letters', s.deadLetterTopic],
    ['Delivered', `${stats.deliveredRecords} records in ${stats.deliveredMessages} requests`],
    ['Failed attempts', stats.failedAttempts],
    ['Dead-lettered', stats.deadLetteredRecords],
    ['Retrying', stats.retrying],
    ['Last delivery', stats.lastDeliveredAt === null ? null : new Date(stats.lastDeliveredAt).toISOString()],
  ]);
  const offsets =
    s.offsets.length === 0
      ? 'no committed offsets\n'
      : renderTable(s.offsets, [
          { header: 'TOPIC', value: (o) => o.topic },
          { header: 'PARTITION', value: (o) => o.partition },
          { header: 'CURRENT-OFFSET', value: (o) => o.committedOffset },
          { header: 'LOG-END-OFFSET', value: (o) => o.highWatermark },
          { header: 'LAG', value: (o) => o.lag },
        ]);
  const errors =
    stats.lastErrors.length === 0
      ? ''
      : `\nlast errors:\n${renderTable(stats.lastErrors, [
          { header: 'AT', value: (a) => new Date(a.at).toISOString() },
          { header: 'PARTITION', value: (a) => `${a.topic}-${a.partition}` },
          { header: 'OFFSETS', value: (a) => `${a.firstOffset}..${a.lastOffset}` },
          { header: 'ATTEMPT', value: (a) => a.attempt },
          { header: 'STATUS', value: (a) => a.status },
          { header: 'ERROR', value: (a) => a.error ?? a.outcome },
        ])}`;
  return `${head}\n${offsets}${errors}`;
}

/** The settings create and update share (update: every one optional). */
interface SettingOptions {
  endpoint?: string;
  topic: string[];
  topicPattern?: string;
  filterHeader: string[];
  keyPrefix?: string;
  ordering?: 'key' | 'none';
  concurrency?: number;
  batchMaxRecords?: number;
  batchMaxWaitMs?: number;
  requestTimeoutMs?: number;
  keyFormat?: CreateSubscription['keyFormat'];
  valueFormat?: CreateSubscription['valueFormat'];
}

interface CreateOptions extends SettingOptions {
  endpoint: string;
  start?: string;
}

interface UpdateOptions extends SettingOptions {
  clearFilter?: boolean;
}

/** The options of the settings create and update share; `verb` words their help. */
function addSettingOptions(cmd: Command, verb: 'deliver' | 'now deliver'): Command {
  return cmd
    .option('-t, --topic <topic>', `a topic to ${verb} (repeatable)`, collect, [])
    .option('--topic-pattern <regex>', `${verb} every topic whose whole name matches (topics created later too)`)
    .option('--filter-header <name=value>', 'deliver only records with this header value (repeatable: all must match)', collect, [])
    .option('--key-prefix <prefix>', 'deliver only records whose key starts with this')
    .addOption(new Option('--ordering <ordering>', 'key: in order per partition; none: in parallel').choices(['key', 'none']))
    .addOption(new Option('--concurrency <n>', 'requests in flight (1-256)').argParser(parseIntOption('--concurrency', 1, 256)))
    .addOption(new Option('--batch-max-records <n>', 'records per request (1-1000)').argParser(parseIntOption('--batch-max-records', 1, 1000)))
    .addOption(new Option('--batch-max-wait-ms <ms>', 'wait this long to fill a batch').argParser(parseIntOption('--batch-max-wait-ms', 0, 60_000)))
    .addOption(new Option('--request-timeout-ms <ms>', 'per-request timeout (100-60000)').argParser(parseIntOption('--request-timeout-ms', 100, 60_000)))
    .addOption(new Option('--key-format <format>', 'how keys are rendered').choices(FORMATS))
    .addOption(new Option('--value-format <format>', 'how values are rendered').choices(FORMATS));
}

/** The body fields both create and update send: only what was given. */
function settingsOf(o: SettingOptions): UpdateSubscription {
  if (o.topic.length > 0 && o.topicPattern !== undefined) throw usageError('give --topic <name> (repeatable) or --topic-pattern <regex>, not both');
  const headers = Object.fromEntries(parsePairs(o.filterHeader, '--filter-header'));
  const filter = { ...(Object.keys(headers).length > 0 && { headers }), ...(o.keyPrefix !== undefined && { keyPrefix: o.keyPrefix }) };
  const batch = { ...(o.batchMaxRecords !== undefined && { maxRecords: o.batchMaxRecords }), ...(o.batchMaxWaitMs !== undefined && { maxWaitMs: o.batchMaxWaitMs }) };
  return {
    ...(o.endpoint !== undefined && { url: o.endpoint }),
    ...(o.topic.length > 0 && { topics: o.topic }),
    ...(o.topicPattern !== undefined && { topicPattern: o.topicPattern }),
    ...(Object.keys(filter).length > 0 && { filter }),
    ...(Object.keys(batch).length > 0 && { batch }),
    ...(o.ordering !== undefined && { ordering: o.ordering }),
    ...(o.concurrency !== undefined && { concurrency: o.concurrency }),
    ...(o.requestTimeoutMs !== undefined && { timeoutMs: o.requestTimeoutMs }),
    ...(o.keyFormat !== undefined && { keyFormat: o.keyFormat }),
    ...(o.valueFormat !== undefined && { valueFormat: o.valueFormat }),
  };
}

function toUpdateBody(o: UpdateOptions): UpdateSubscription {
  const body = settingsOf(o);
  if (o.clearFilter === true) {
    if (body.filter !== undefined) throw usageError('--clear-filter removes the filter: give it without --filter-header or --key-prefix');
    body.filter = {};
  }
  if (Object.keys(body).length === 0) throw usageError('nothing to update: give a setting to change (see `spool subscription update --help`)');
  return body;
}

function startOf(v: string): CreateSubscription['start'] {
  if (v === 'earliest' || v === 'latest') return v;
  if (v.startsWith('@')) return { timestamp: parseTimestamp(v.slice(1), '--start') };
  throw usageError(`--start must be earliest, latest or @<time> (ms since the epoch or ISO 8601), not ${JSON.stringify(v)}`);
}

function toCreateBody(name: string, o: CreateOptions): CreateSubscription {
  if ((o.topic.length > 0) === (o.topicPattern !== undefined)) throw usageError('give the topics to deliver: --topic <name> (repeatable) or --topic-pattern <regex>, not both');
  return { name, url: o.endpoint, ...settingsOf(o), ...(o.start !== undefined && { start: startOf(o.start) }) };
}

export function registerSubscriptionCommands(program: Command, runtime: Runtime): void {
  const sub = program.command('subscription').alias('sub').description('push subscriptions: the broker POSTs records to your HTTPS endpoint');

  sub
    .command('list')
    .alias('ls')
    .description('list push subscriptions with their state and lag')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const { subscriptions } = await ctx.api.call((base) => listSubscriptions(base));
      ctx.output.result({ subscriptions }, () =>
        subscriptions.length === 0
          ? 'no subscriptions\n'
          : renderTable(subscriptions, [
              { header: 'NAME', value: (s) => s.name },
              { header: 'STATE', value: (s) => s.state },
              { header: 'TOPICS', value: (s) => topicsOf(s) },
              { header: 'LAG', value: (s) => s.offsets.reduce((n, o) => n + (o.lag ?? 0), 0) },
              { header: 'DELIVERED', value: (s) => s.stats.deliveredRecords },
              { header: 'ENDPOINT', value: (s) => s.url },
            ]),
      );
    });

  addSettingOptions(
    sub
      .command('create')
      .description('create a push subscription (prints its signing secret once)')
      .argument('<name>', 'letters, digits, "_" and "-"; its group is push.<name>, its dead-letter topic <name>.dlq')
      .requiredOption('--endpoint <url>', 'where to POST the records (https; http outside production mode)'),
    'deliver',
  )
    .option('--start <where>', 'where partitions start: earliest, latest (default) or @<time>')
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const body = toCreateBody(name, opts);
      const created = await ctx.api.call((base) => createSubscription({ ...base, body }));
      if (ctx.output.format === 'table') ctx.output.note('keep the signing secret: the broker does not show it again');
      ctx.output.result(created, () => `created subscription ${created.name} (${created.state}) to ${created.url}\nsecret: ${created.secret ?? '-'}\n`);
    });

  sub
    .command('describe')
    .description('a subscription: settings, state, lag per partition, delivery stats and last errors')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const s = await ctx.api.call((base) => describeSubscription({ ...base, path: { name } }));
      ctx.output.result(s, () => describeText(s));
    });

  addSettingOptions(
    sub
      .command('update')
      .alias('alter')
      .description("change a subscription's settings (only those given; its delivery resumes from the committed offsets with them)")
      .argument('<name>')
      .option('--endpoint <url>', 'POST the records here from now on'),
    'now deliver',
  )
    .option('--clear-filter', 'deliver every record again (remove the header and key filter)')
    .addHelpText('after', '\nThe filter is replaced whole: give every --filter-header and --key-prefix to keep, or --clear-filter.')
    .action(async (name: string, opts: UpdateOptions, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const body = toUpdateBody(opts);
      const s = await ctx.api.call((base) => updateSubscription({ ...base, path: { name }, body }));
      ctx.output.result(s, () => `updated subscription ${s.name} (${s.state})\n${describeText(s)}`);
    });

  for (const [verb, call, done] of [
    ['pause', pauseSubscription, 'paused'],
    ['resume', resumeSubscription, 'resumed'],
  ] as const) {
    sub
      .command(verb)
      .description(verb === 'pause' ? 'stop delivering (offsets are committed; the group becomes empty, so its offsets can be reset)' : 'deliver again from the committed offsets')
      .argument('<name>')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const ctx = Context.of(cmd, runtime);
        const s = await ctx.api.call((base) => call({ ...base, path: { name } }));
        ctx.output.result(s, () => `${done} subscription ${name} (${s.state})\n`);
      });
  }

  sub
    .command('delete')
    .alias('rm')
    .description('delete subscriptions: delivery stops and their groups are deleted (dead-letter topics stay)')
    .argument('<name...>')
    .option('--if-exists', 'succeed if a subscription does not exist')
    .action(async (names: string[], opts: { ifExists?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const deleted: string[] = [];
      for (const name of names) {
        try {
          await ctx.api.call((base) => deleteSubscription({ ...base, path: { name } }));
          deleted.push(name);
        } catch (err) {
          if (opts.ifExists && err instanceof CliError && err.code === 'SUBSCRIPTION_NOT_FOUND') continue;
          throw err;
        }
      }
      ctx.output.result({ deleted }, () => deleted.map((n) => `deleted subscription ${n}\n`).join(''));
    });
}
