/**
 * The built `spool` CLI against a broker with authentication on (SPOOL_AUTH=on, a bootstrap admin
 * key) and push delivery on (a real redis-server): `spool cluster info` from GET /v1/cluster,
 * `spool acl` granting and taking away what a second principal's API key may do (checked by that
 * principal's own CLI runs), and `spool subscription` delivering records to a plain HTTP receiver
 * on 127.0.0.1 (and, after `update`, to a new path with a key filter), `spool tenant update`
 * raising, lowering and removing limits with their effect on the next topic creation and produce,
 * `spool key|tenant|user`
 * (an API key made and revoked, checked by its own /v1/whoami; a tenant with its usage; SCRAM
 * credentials set from stdin and deleted), with the errors a user meets on the way (no token, not allowed, unknown and
 * duplicate names, missing flags).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateApiKey } from '@spool/security';
import { RedisServer } from '../../../test/webhooks/redis-server.test-util.js';
import { CliHarness, E2E_TIMEOUT_MS } from './cli-process.test-util.js';

let cli: CliHarness;
let redis: RedisServer;
let receiver: Server;
const admin = generateApiKey().apiKey;
/** Every record the receiver was POSTed, as offsets. */
const delivered: number[] = [];
/** The same, as `<path> <offset>`: which endpoint got which record. */
const deliveredTo: string[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (s: string) => (body += s));
    req.on('end', () => {
      for (const r of (JSON.parse(body) as { records: Array<{ offset: number }> }).records) {
        delivered.push(r.offset);
        deliveredTo.push(`${req.url} ${r.offset}`);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  cli = await CliHarness.start({ SPOOL_AUTH: 'on', SPOOL_ADMIN_API_KEY: admin, SPOOL_REDIS_URL: redis.url, SPOOL_WEBHOOKS_ALLOW_CIDRS: '127.0.0.0/8' });
}, E2E_TIMEOUT_MS);

afterAll(async () => {
  await cli?.close();
  await redis?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const asAdmin = { env: { SPOOL_TOKEN: admin } };

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const giveUpAt = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`${what}: not in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('spool with authentication on', () => {
  it('cluster info shows the controller, the brokers with liveness, addresses and partitions led', async () => {
    let r = await cli.run(['cluster', 'info']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('hint: give a valid API key or token with SPOOL_TOKEN');
    expect((await cli.run(['topic', 'create', 'led', '-p', '3'], asAdmin)).code).toBe(0);
    const info = await cli.json<{ mode: string; controller: number; partitions: number; offlinePartitions: number; brokers: Array<Record<string, unknown>> }>(['cluster', 'info'], asAdmin);
    expect(info).toMatchObject({ mode: 'single-node', controller: 0, offlinePartitions: 0 });
    expect(info.partitions).toBeGreaterThanOrEqual(3);
    expect(info.brokers).toEqual([
      expect.objectContaining({ id: 0, alive: true, controller: true, host: '127.0.0.1', httpPort: Number(new URL(cli.url).port), partitionsLed: info.partitions, replicas: info.partitions }),
    ]);
    r = await cli.run(['cluster', 'info'], asAdmin);
    expect(r.stdout).toMatch(/^ID\s+ALIVE\s+CONTROLLER\s+HOST\s+HTTP-PORT\s+KAFKA-PORT\s+RACK\s+PARTITIONS-LED\s+REPLICAS\s+LOG-SIZE-BYTES$/m);
  }, E2E_TIMEOUT_MS);

  it('acl create, list and delete change what another principal may do', async () => {
    expect((await cli.run(['topic', 'create', 'orders', '-p', '2'], asAdmin)).code).toBe(0);
    const res = await fetch(`${cli.url}/v1/admin/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'alice' }) });
    expect(res.status).toBe(201);
    const asAlice = { env: { SPOOL_TOKEN: ((await res.json()) as { apiKey: string }).apiKey } };

    let r = await cli.run(['topic', 'describe', 'orders'], asAlice);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('hint: the credentials in use are not allowed to do this');
    r = await cli.run(['acl', 'create', '--principal', 'alice', '--topic', 'orders', '--operation', 'describe', '--operation', 'READ'], asAdmin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created 2 ACLs');
    r = await cli.run(['acl', 'list', '--principal', 'User:alice'], asAdmin);
    expect(r.stdout).toMatch(/^User:alice\s+ALLOW\s+DESCRIBE\s+TOPIC\s+orders\s+LITERAL\s+\*$/m);
    expect(r.stdout).toMatch(/^User:alice\s+ALLOW\s+READ\s+TOPIC\s+orders\s+LITERAL\s+\*$/m);
    expect((await cli.run(['topic', 'describe', 'orders'], asAlice)).code).toBe(0);
    // A DENY on a prefix beats the ALLOW.
    await cli.json(['acl', 'create', '--principal', 'alice', '--topic', 'ord', '--resource-pattern-type', 'prefixed', '--operation', 'describe', '--deny'], asAdmin);
    expect((await cli.run(['topic', 'describe', 'orders'], asAlice)).code).toBe(5);
    const matching = await cli.json<{ acls: Array<{ permissionType: string }> }>(['acl', 'list', '--topic', 'orders', '--resource-pattern-type', 'match'], asAdmin);
    expect(matching.acls.map((a) => a.permissionType).sort()).toEqual(['ALLOW', 'ALLOW', 'DENY']);
    // Alice is no admin.
    expect((await cli.run(['acl', 'list'], asAlice)).code).toBe(5);

    r = await cli.run(['acl', 'delete'], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('an empty filter would delete every ACL');
    r = await cli.run(['acl', 'create', '--principal', 'alice', '--operation', 'read'], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name the resource');
    r = await cli.run(['acl', 'create', '--principal', 'alice', '--topic', 'x', '--operation', 'fly'], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown operation "FLY"');
    r = await cli.run(['acl', 'create', '--principal', 'alice', '--topic', 'x', '--group', 'y', '--operation', 'read'], asAdmin);
    expect(r.code).toBe(2);

    const deleted = await cli.json<{ acls: unknown[] }>(['acl', 'delete', '--principal', 'alice', '--permission', 'deny'], asAdmin);
    expect(deleted.acls).toHaveLength(1);
    expect((await cli.run(['topic', 'describe', 'orders'], asAlice)).code).toBe(0);
    expect((await cli.run(['acl', 'delete', '--principal', 'alice'], asAdmin)).stdout).toContain('deleted 2 ACLs');
    expect((await cli.run(['topic', 'describe', 'orders'], asAlice)).code).toBe(5);
    expect((await cli.run(['acl', 'delete', '--principal', 'alice'], asAdmin)).stdout).toBe('no ACL matched: nothing deleted\n');
  }, E2E_TIMEOUT_MS);

  it('subscription create, list, describe, pause, resume and delete; records reach the endpoint', async () => {
    expect((await cli.run(['topic', 'create', 'events', '-p', '1'], asAdmin)).code).toBe(0);
    const lines = ['{"n":1}', '{"n":2}', '{"n":3}'].join('\n');
    expect((await cli.run(['produce', 'events'], { ...asAdmin, input: lines })).code).toBe(0);
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    let r = await cli.run(['subscription', 'create', 'to-hook', '--endpoint', endpoint, '--topic', 'events', '--start', 'earliest'], asAdmin);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^created subscription to-hook \(active\) to http:\/\/127\.0\.0\.1:\d+\/hook\nsecret: whsec_\S+$/m);
    expect(r.stderr).toContain('keep the signing secret');
    await until('three records delivered', async () => (delivered.length >= 3 ? true : undefined));
    expect([...delivered].sort()).toEqual([0, 1, 2]);
    const described = await until('delivery committed', async () => {
      const s = await cli.json<{ state: string; stats: { deliveredRecords: number }; offsets: Array<{ committedOffset: number; lag: number }> }>(['subscription', 'describe', 'to-hook'], asAdmin);
      return s.offsets.length === 1 && s.offsets[0]!.lag === 0 ? s : undefined;
    });
    expect(described).toMatchObject({ state: 'active', stats: { deliveredRecords: 3 } });
    r = await cli.run(['subscription', 'describe', 'to-hook'], asAdmin);
    expect(r.stdout).toMatch(/^Group:\s+push\.to-hook$/m);
    expect(r.stdout).toMatch(/^events\s+0\s+3\s+3\s+0$/m);
    r = await cli.run(['subscription', 'list'], asAdmin);
    expect(r.stdout).toMatch(/^to-hook\s+active\s+events\s+0\s+3\s+http:\/\/127\.0\.0\.1:\d+\/hook$/m);

    expect((await cli.run(['subscription', 'pause', 'to-hook'], asAdmin)).stdout).toBe('paused subscription to-hook (paused)\n');
    expect((await cli.run(['subscription', 'resume', 'to-hook'], asAdmin)).stdout).toBe('resumed subscription to-hook (active)\n');

    // update (PATCH): a new endpoint, a key filter and bigger batches; the next records go there, filtered.
    r = await cli.run(['subscription', 'update', 'to-hook', '--endpoint', `${endpoint}2`, '--key-prefix', 'eu-', '--batch-max-records', '10', '--concurrency', '4'], asAdmin);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^updated subscription to-hook \(active\)$/m);
    expect(r.stdout).toMatch(/^Endpoint:\s+http:\/\/127\.0\.0\.1:\d+\/hook2$/m);
    expect(r.stdout).toMatch(/^Filter:\s+\{"keyPrefix":"eu-"\}$/m);
    expect(r.stdout).toMatch(/^Batch:\s+10 records, 200 ms$/m);
    expect(r.stdout).toMatch(/^Concurrency:\s+4$/m);
    expect((await cli.run(['produce', 'events', '-K', ':'], { ...asAdmin, input: 'us-1:{"n":4}\neu-1:{"n":5}' })).code).toBe(0);
    await until('the eu- record delivered to the new endpoint', async () => (deliveredTo.includes('/hook2 4') ? true : undefined));
    const updated = await until('the filtered record committed past', async () => {
      const s = await cli.json<{ url: string; filter: unknown; batch: { maxRecords: number }; offsets: Array<{ lag: number }> }>(['subscription', 'describe', 'to-hook'], asAdmin);
      return s.offsets[0]?.lag === 0 ? s : undefined;
    });
    expect(updated).toMatchObject({ url: `${endpoint}2`, filter: { keyPrefix: 'eu-' }, batch: { maxRecords: 10 } });
    expect(deliveredTo.filter((d) => d.endsWith(' 3'))).toEqual([]);
    // --clear-filter sends an empty filter; the others stay as they were.
    const cleared = await cli.json<{ filter: unknown; concurrency: number }>(['subscription', 'update', 'to-hook', '--clear-filter'], asAdmin);
    expect(cleared.filter ?? {}).toEqual({});
    expect(cleared.concurrency).toBe(4);
    r = await cli.run(['subscription', 'update', 'to-hook'], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to update');
    r = await cli.run(['subscription', 'update', 'to-hook', '--clear-filter', '--key-prefix', 'x'], asAdmin);
    expect(r.code).toBe(2);
    r = await cli.run(['subscription', 'update', 'to-hook', '--concurrency', '0'], asAdmin);
    expect(r.code).toBe(2);
    r = await cli.run(['subscription', 'update', 'to-hook', '--topic', 'no-such-topic'], asAdmin);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no-such-topic');
    r = await cli.run(['subscription', 'update', 'nobody', '--concurrency', '2'], asAdmin);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('subscription "nobody" does not exist');

    r = await cli.run(['subscription', 'create', 'to-hook', '--endpoint', endpoint, '--topic', 'events'], asAdmin);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('already exists');
    r = await cli.run(['subscription', 'create', 'no-topics', '--endpoint', endpoint], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--topic <name> (repeatable) or --topic-pattern');
    r = await cli.run(['subscription', 'create', 'no-endpoint', '--topic', 'events'], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--endpoint <url>' not specified");
    r = await cli.run(['subscription', 'create', 'bad-start', '--endpoint', endpoint, '--topic', 'events', '--start', 'soon'], asAdmin);
    expect(r.code).toBe(2);
    r = await cli.run(['subscription', 'list']);
    expect(r.code).toBe(5);

    expect((await cli.run(['subscription', 'delete', 'to-hook'], asAdmin)).stdout).toBe('deleted subscription to-hook\n');
    r = await cli.run(['subscription', 'describe', 'to-hook'], asAdmin);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: `spool subscription list` lists the subscriptions');
    expect((await cli.run(['subscription', 'delete', 'to-hook', '--if-exists'], asAdmin)).code).toBe(0);
    expect((await cli.json<{ subscriptions: unknown[] }>(['subscription', 'list'], asAdmin)).subscriptions).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('tenant update raises, lowers and removes limits, applied to the next topic creation and produce', async () => {
    expect((await cli.run(['tenant', 'create', 'shop', '--max-topics', '1'], asAdmin)).code).toBe(0);
    expect((await cli.run(['topic', 'create', 'shop.a', '-p', '1'], asAdmin)).code).toBe(0);
    let r = await cli.run(['topic', 'create', 'shop.b', '-p', '1'], asAdmin);
    expect([r.code, r.stderr]).toEqual([4, expect.stringContaining('tenant shop may have at most 1 topics')]);

    r = await cli.run(['tenant', 'update', 'shop', '--max-topics', '2', '--max-partitions', '8'], asAdmin);
    expect(r.stdout).toBe('updated tenant shop (topics 2, partitions 8, retained bytes unlimited)\n');
    expect((await cli.run(['topic', 'create', 'shop.b', '-p', '1'], asAdmin)).code).toBe(0);
    expect((await cli.run(['produce', 'shop.a'], { ...asAdmin, input: '{"n":1}\n{"n":2}\n' })).code).toBe(0);
    // Lowered under what the tenant holds: the next produce is refused; removed: served again.
    expect((await cli.json(['tenant', 'alter', 'shop', '--max-retained-bytes', '1'], asAdmin))).toMatchObject({ name: 'shop', maxTopics: 2, maxPartitions: 8, maxRetainedBytes: 1 });
    r = await cli.run(['produce', 'shop.a'], { ...asAdmin, input: '{"n":3}\n' });
    expect([r.code, r.stderr]).toEqual([4, expect.stringContaining('at its limit of 1: produce is refused')]);
    r = await cli.run(['tenant', 'update', 'shop', '--max-retained-bytes', 'unlimited', '--max-topics', 'none'], asAdmin);
    expect(r.stdout).toBe('updated tenant shop (topics unlimited, partitions 8, retained bytes unlimited)\n');
    expect((await cli.run(['produce', 'shop.a'], { ...asAdmin, input: '{"n":3}\n' })).code).toBe(0);
    expect((await cli.run(['tenant', 'list'], asAdmin)).stdout).toMatch(/^shop\s+unlimited\s+8\s+unlimited\s+\S+Z$/m);
    r = await cli.run(['tenant', 'describe', 'shop'], asAdmin);
    expect(r.stdout).toMatch(/^Topics:\s+2$/m);
    expect(r.stdout).toMatch(/^Produced records:\s+\d+$/m);
    expect(r.stdout).toMatch(/^Fetched records:\s+\d+$/m);

    // Mistakes: nothing to change, a bad number, an unknown tenant, no credential.
    r = await cli.run(['tenant', 'update', 'shop'], asAdmin);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('name a limit to change')]);
    expect((await cli.run(['tenant', 'update', 'shop', '--max-topics', '-1'], asAdmin)).code).toBe(2);
    expect((await cli.run(['tenant', 'update', 'shop', '--max-topics', 'lots'], asAdmin)).code).toBe(2);
    expect((await cli.run(['tenant', 'update', 'nope', '--max-topics', '1'], asAdmin)).code).toBe(3);
    expect((await cli.run(['tenant', 'update', 'shop', '--max-topics', '1'])).code).toBe(5);
    expect((await cli.run(['tenant', 'delete', 'shop'], asAdmin)).code).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('key create, list and revoke; tenant create, list, describe and delete; user set, list and delete', async () => {
    const whoami = async (key: string) => (await fetch(`${cli.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status;

    let r = await cli.run(['key', 'create', 'bob', '--description', 'for bob', '--expires-in', '1d'], asAdmin);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('keep the key');
    const made = /^created API key (\S+) for User:bob \(expires \S+Z\)\nkey: (\S+)$/m.exec(r.stdout);
    expect(made).not.toBeNull();
    const [, keyId, bobKey] = made!;
    expect(await whoami(bobKey!)).toBe(200);
    const keys = await cli.json<{ apiKeys: Array<{ keyId: string; principal: string; description: string; expiresAtMs: number | null }> }>(['key', 'list'], asAdmin);
    expect(keys.apiKeys.find((k) => k.keyId === keyId)).toMatchObject({ principal: 'User:bob', description: 'for bob', expiresAtMs: expect.any(Number) });
    r = await cli.run(['key', 'list'], asAdmin);
    expect(r.stdout).toMatch(new RegExp(`^${keyId}\\s+User:bob\\s+-\\s+valid\\s`, 'm'));
    expect(r.stdout).not.toContain(bobKey);
    expect((await cli.run(['key', 'revoke', keyId!], asAdmin)).stdout).toBe(`revoked API key ${keyId} of User:bob\n`);
    expect(await whoami(bobKey!)).toBe(401);
    expect((await cli.run(['key', 'list'], asAdmin)).stdout).toMatch(new RegExp(`^${keyId}\\s+User:bob\\s+-\\s+revoked\\s`, 'm'));
    expect((await cli.run(['key', 'revoke', 'no-such-key'], asAdmin)).code).toBe(3);
    expect((await cli.run(['key', 'create', 'bob', '--expires-in', 'soon'], asAdmin)).code).toBe(2);

    r = await cli.run(['tenant', 'create', 'acme', '--max-topics', '2'], asAdmin);
    expect(r.stdout).toBe('created tenant acme (topics 2, partitions unlimited, retained bytes unlimited)\n');
    expect((await cli.run(['tenant', 'list'], asAdmin)).stdout).toMatch(/^acme\s+2\s+unlimited\s+unlimited\s+\S+Z$/m);
    expect((await cli.run(['tenant', 'create', 'acme'], asAdmin)).code).toBe(4);
    expect((await cli.run(['topic', 'create', 'acme.orders', '-p', '2'], asAdmin)).code).toBe(0);
    const usage = await cli.json<{ tenant: string; topics: number; partitions: number }>(['tenant', 'describe', 'acme'], asAdmin);
    expect(usage).toMatchObject({ tenant: 'acme', topics: 1, partitions: 2 });
    expect((await cli.run(['tenant', 'describe', 'acme'], asAdmin)).stdout).toMatch(/^Partitions:\s+2$/m);
    expect((await cli.run(['tenant', 'delete', 'acme'], asAdmin)).stdout).toBe('deleted tenant acme\n');
    expect((await cli.run(['tenant', 'delete', 'acme', '--if-exists'], asAdmin)).code).toBe(0);
    expect((await cli.run(['tenant', 'delete', 'acme'], asAdmin)).code).toBe(3);
    expect((await cli.run(['tenant', 'list'], asAdmin)).stdout).not.toMatch(/^acme\s/m);

    r = await cli.run(['user', 'set', 'kafka-app', '--password-stdin', '--iterations', '8192'], { ...asAdmin, input: 'first-secret\n' });
    expect(r.stdout).toBe('saved the SCRAM-SHA-256 credential of kafka-app (8192 iterations)\n');
    r = await cli.run(['user', 'set', 'kafka-app', '--mechanism', 'SCRAM-SHA-512', '--password', 'other-secret'], asAdmin);
    expect(r.code).toBe(0);
    expect((await cli.run(['user', 'list'], asAdmin)).stdout).toMatch(/^kafka-app\s+SCRAM-SHA-256\s+8192$/m);
    const credentials = (await cli.json<{ credentials: Array<{ mechanism: string }> }>(['user', 'list'], asAdmin)).credentials;
    expect(credentials.sort((a, b) => a.mechanism.localeCompare(b.mechanism))).toEqual([
      { user: 'kafka-app', mechanism: 'SCRAM-SHA-256', iterations: 8192 },
      { user: 'kafka-app', mechanism: 'SCRAM-SHA-512', iterations: 4096 },
    ]);
    r = await cli.run(['user', 'set', 'kafka-app'], asAdmin);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--password-stdin');
    expect((await cli.run(['user', 'set', 'kafka-app', '--password', 'x', '--iterations', '100'], asAdmin)).code).toBe(2);
    expect((await cli.run(['user', 'delete', 'kafka-app', '--mechanism', 'SCRAM-SHA-512'], asAdmin)).stdout).toBe('deleted the SCRAM-SHA-512 credential of kafka-app\n');
    expect((await cli.json<{ credentials: unknown[] }>(['user', 'list'], asAdmin)).credentials).toEqual([{ user: 'kafka-app', mechanism: 'SCRAM-SHA-256', iterations: 8192 }]);
    expect((await cli.run(['user', 'list'])).code).toBe(5);
  }, E2E_TIMEOUT_MS);
});
