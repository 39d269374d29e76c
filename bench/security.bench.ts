/**
 * bench:security — what the security checks cost on the produce hot path, against a cost every
 * produce already pays, measured in the same run: crc32c over a 1 KiB record batch (the broker
 * checks each batch's CRC). Workloads, each the median of --runs runs of --ms milliseconds:
 *
 *   authorize (cached)      Authorizer.authorize with 1,000 ACLs (literal and prefixed, several
 *                           principals), 100 topics cycling: the decision cache answers
 *   authorize (no cache)    the same with the decision cache off: the index lookups every time
 *   authorize + grants      a JWT identity with 8 grants (grants are checked on every call)
 *   API key (cached)        ApiKeyAuthenticator.authenticate of a valid key after the first
 *   API key (scrypt)        the first check of a key: one scrypt (ln=14, r=8, p=1, the default)
 *   quota record            QuotaManager.recordProduce with a tenant and a user quota
 *
 * Results go to bench/results/<date>-security.json and the bench:security section of
 * docs/benchmarks.md. Flags: --runs N (3), --ms N (1000).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { crc32c } from '@spool/protocol';
import {
  ApiKeyAuthenticator,
  Authorizer,
  DEFAULT_SCRYPT_PARAMS,
  FileSecurityStore,
  hashSecret,
  SpoolSecurity,
  topicResource,
  verifySecret,
  type AclBinding,
  type Identity,
  type TokenGrant,
} from '@spool/security';
import { describeMachine, machineLine } from './lib/machine.js';
import { formatSummary, summarize, type Summary } from './lib/stats.js';
import { updateBenchmarksDoc, writeResultsJson } from './lib/report.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, ms: { type: 'string', default: '1000' } } });
const RUNS = Number(args.runs);
const MS = Number(args.ms);

function identity(principal: string, tenant: string | null, grants: TokenGrant[] = []): Identity {
  return { principal, principalName: principal.slice(5), tenant, credentialKind: 'api-key', credentialId: 'bench', expiresAtMs: null, grants, clientHost: '127.0.0.1' };
}

function acls(): AclBinding[] {
  const out: AclBinding[] = [];
  for (let i = 0; i < 500; i++) {
    out.push({ pattern: { resourceType: 'TOPIC', patternType: 'LITERAL', name: `acme.topic-${i}` }, entry: { principal: `User:acme.svc-${i % 20}`, host: '*', operation: 'WRITE', permissionType: 'ALLOW' } });
    out.push({ pattern: { resourceType: 'TOPIC', patternType: 'PREFIXED', name: `acme.team-${i % 50}.` }, entry: { principal: `User:acme.app`, host: '*', operation: i % 7 === 0 ? 'READ' : 'WRITE', permissionType: i % 97 === 0 ? 'DENY' : 'ALLOW' } });
  }
  out.push({ pattern: { resourceType: 'TOPIC', patternType: 'PREFIXED', name: 'acme.' }, entry: { principal: 'User:acme.app', host: '*', operation: 'WRITE', permissionType: 'ALLOW' } });
  return out;
}

/** Calls `op` in a loop for MS ms (sync ops in blocks of 1000), returns ops/s. */
async function opsPerSec(op: () => unknown | Promise<unknown>, isAsync: boolean): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < MS) {
    if (isAsync) {
      await op();
      n++;
    } else {
      for (let i = 0; i < 1000; i++) op();
      n += 1000;
    }
  }
  return (n * 1000) / (performance.now() - start);
}

async function measure(name: string, op: () => unknown | Promise<unknown>, isAsync = false): Promise<[string, Summary]> {
  await opsPerSec(op, isAsync); // warm-up (JIT, caches)
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await opsPerSec(op, isAsync));
  const summary = summarize(runs);
  console.log(`${name.padEnd(24)} ${formatSummary(summary).padStart(32)} ops/s`);
  return [name, summary];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-bench-security-'));
  const machine = describeMachine(dir);
  console.log(machineLine(machine));
  const results: Array<[string, Summary]> = [];
  try {
    const batch = Buffer.alloc(1024, 7);
    results.push(await measure('baseline: crc32c 1 KiB', () => crc32c(batch)));

    const topics = Array.from({ length: 100 }, (_, i) => topicResource(`acme.team-${i % 50}.events-${i}`));
    const app = identity('User:acme.app', 'acme');
    const cached = new Authorizer();
    cached.replaceAcls(acls());
    let i = 0;
    results.push(await measure('authorize (cached)', () => cached.authorize(app, 'WRITE', topics[i++ % 100])));
    const uncached = new Authorizer({ decisionCacheMaxEntries: 0 });
    uncached.replaceAcls(acls());
    results.push(await measure('authorize (no cache)', () => uncached.authorize(app, 'WRITE', topics[i++ % 100])));
    const grants: TokenGrant[] = Array.from({ length: 8 }, (_, g) => ({ resourceType: 'TOPIC', patternType: 'PREFIXED', name: `acme.web-${g}.`, operation: 'READ' }));
    const browser = identity('User:acme.browser', 'acme', grants);
    const webTopics = Array.from({ length: 100 }, (_, t) => topicResource(`acme.web-${t % 8}.t${t}`));
    results.push(await measure('authorize + 8 grants', () => cached.authorize(browser, 'READ', webTopics[i++ % 100])));

    const store = new FileSecurityStore({ dir });
    const security = await SpoolSecurity.open({ store });
    await security.admin.createTenant('acme');
    const { apiKey } = await security.admin.createApiKey({ principalName: 'acme.app' });
    await security.admin.alterQuota({ entityType: 'tenant', name: 'acme' }, { producer_byte_rate: 1e12 });
    await security.admin.alterQuota({ entityType: 'user', name: 'acme.app' }, { producer_byte_rate: 1e12 });
    const auth = new ApiKeyAuthenticator(security.catalog);
    results.push(await measure('API key (cached)', () => auth.authenticate({ credential: apiKey, clientHost: '127.0.0.1' }), true));
    const hash = await hashSecret('x'.repeat(43), DEFAULT_SCRYPT_PARAMS);
    results.push(await measure('API key (scrypt)', () => verifySecret('x'.repeat(43), hash), true));
    const produced = await security.authenticateBearer(apiKey, '127.0.0.1');
    results.push(await measure('quota record', () => security.quotas.recordProduce(produced, 1024)));
    security.close();
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const baseline = results[0][1].median;
  const rows = results.map(([name, s]) => {
    const nsPerOp = 1e9 / s.median;
    const perCall = nsPerOp < 1e3 ? `${nsPerOp.toFixed(0)} ns` : nsPerOp < 1e6 ? `${(nsPerOp / 1e3).toFixed(1)} µs` : `${(nsPerOp / 1e6).toFixed(1)} ms`;
    return `| ${name} | ${formatSummary(s)} | ${perCall} | ${(baseline / s.median).toFixed(2)}x |`;
  });
  const markdown = [
    '### bench:security',
    '',
    `${machineLine(machine)}. Median (min–max) of ${RUNS} runs of ${MS} ms each. "vs. CRC" is the cost of one call`,
    'relative to crc32c over a 1 KiB batch, which every produce already pays (measured in the same run).',
    '',
    '| workload | ops/s | per call | vs. CRC |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  writeResultsJson('security', { machine, runs: RUNS, ms: MS, results: Object.fromEntries(results) });
  updateBenchmarksDoc('security', markdown);
  console.log(markdown);
}

await main();
