/**
 * Property-based fuzz of every credential input of a real broker: the compiled server as a child
 * process with SPOOL_AUTH=on (one tenant, an API key, a SCRAM user, an HS256 JWT issuer), fed
 *   - HTTP: `Authorization` headers holding mutated JWTs (bad base64url, huge or missing segments,
 *     `alg: none`, wrong algorithms, non-object or deeply nested headers and claims, exp as a string,
 *     ... some correctly signed, so the claims checks run too), garbage bearer API keys, other
 *     schemes, and headers over the header limit;
 *   - WebSocket: the first frame, `authenticate` with such tokens (or not a string, or another frame);
 *   - SSE: the same tokens as the `access_token` query parameter or the `spool_token` cookie;
 *   - Kafka: SaslHandshake (any mechanism name) then SaslAuthenticate with mutated SCRAM client-first
 *     and client-final messages (attributes missing or repeated, wrong nonce, bad base64, a claimed
 *     iteration count, channel binding asked for, wrong proof) and PLAIN messages with NULs and huge
 *     fields, over a socket per case.
 * Properties: every answer is the specific one (HTTP 401 SASL_AUTHENTICATION_FAILED with its reason
 * in the error envelope, or 431 REQUEST_HEADER_FIELDS_TOO_LARGE over the header limit; on SSE also 403
 * TOPIC_AUTHORIZATION_FAILED for a valid token without READ; a WebSocket error frame
 * SASL_AUTHENTICATION_FAILED (INVALID_REQUEST for a first frame that is not `authenticate`) then close
 * 4401; Kafka SASL_AUTHENTICATION_FAILED,
 * UNSUPPORTED_SASL_MECHANISM or ILLEGAL_SASL_STATE), or success only for a credential that is in fact
 * valid (the principal is then the one the credential names); never a 5xx, never a silent close; the
 * process stays up and /healthz answers after each face; its resident memory stays under a bound.
 *
 * FUZZ_RUNS: cases per face (default 1,000); FUZZ_SEED: the seed (fast-check prints it, and the
 * shrunk case, on failure: keep that case in REGRESSIONS below).
 */
import fc from 'fast-check';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { KafkaErrorCode } from '@spool/protocol';
import { generateApiKey } from '@spool/security';
import { KafkaRawClient } from './kafka-raw-client.test-util.js';
import { assertBuilt, freePort, ServerProcess } from './server-process.test-util.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0d13);
const ISSUER = 'https://fuzz.acme.test';
const JWT_SECRET = 'a fuzzing secret of more than thirty-two bytes';
const PASSWORD = 'correct horse battery staple';
const SCRAM_USER = 'acme.kafka';
const TOPIC = 'acme.fz';
/** Bounds, not measurements: resident memory of the broker at any sample, and its growth over the run. */
const RSS_BOUND_BYTES = 1_536 * 1024 * 1024;
const RSS_GROWTH_BOUND_BYTES = 384 * 1024 * 1024;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/**
 * Cases that once broke a property (fast-check's shrunk counterexamples), replayed first. Both so far
 * were the oracle's mistakes, not the broker's: a valid token without grants is refused 403 on SSE (it
 * authenticated, it may not READ), and a first WebSocket frame other than `authenticate` is an
 * INVALID_REQUEST error frame before close 4401.
 */
const REGRESSIONS = {
  http: [] as string[],
  scram: [] as string[],
  /** Tokens for SSE, made when replayed (they carry exp). */
  sse: [() => jwtOf({ ...validClaims(), spool_permissions: undefined })],
  ws: ['{"type":"subscribe","topic":"acme.fz"}'],
};

let server: ServerProcess;
let dataDir: string;
let apiKey: string;
const rssSamples: number[] = [];

function rssBytes(): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

async function expectHealthy(): Promise<void> {
  expect(server.child.exitCode).toBeNull();
  expect((await server.get('/healthz')).status).toBe(200);
  rssSamples.push(rssBytes());
}

// ---- JWTs -------------------------------------------------------------------------------------------

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const sign = (input: string, secret = JWT_SECRET): string => createHmac('sha256', secret).update(input).digest('base64url');

/** A JSON-ish value nested `depth` levels deep (arrays and objects), to push parsers. */
const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : depth % 2 === 0 ? [nested(depth - 1, leaf)] : { a: nested(depth - 1, leaf) });

function validClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: 'spool', sub: 'u1', iat: now, exp: now + 600, spool_permissions: { topics: { [TOPIC]: ['consume'] } } };
}

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, 0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, '', '1700000000', 'x'.repeat(5000), [], {}, [[[]]]),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 2000 }).map((d) => nested(d, 1)),
);

const header: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ alg: 'HS256', typ: 'JWT' }) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>({ alg: 'none' }, { alg: 'None', typ: 'JWT' }, { alg: 'RS256' }, { alg: 'ES256' }, { alg: 'HS512' }, { alg: 'EdDSA' }, { alg: 'HS256', crit: ['exp'] }, { alg: 'HS256', b64: false, crit: ['b64'] }, { alg: 'HS256', kid: '../../etc/passwd' }, { alg: 'HS256', jku: 'http://127.0.0.1:1/jwks' }) },
  { weight: 1, arbitrary: fc.record({ alg: oddValue, typ: oddValue }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: oddValue },
);

const claims: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).map(() => validClaims()) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom('iss', 'aud', 'sub', 'exp', 'nbf', 'iat', 'spool_permissions', 'spool_tenant', 'extra'), fc.option(oddValue, { nil: undefined }))
      .map(([key, value]) => {
        const c = validClaims();
        if (value === undefined) delete c[key];
        else c[key] = value;
        return c;
      }),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => ({ ...validClaims(), exp: Math.floor(Date.now() / 1000) - 3600 })) },
  { weight: 1, arbitrary: fc.constant(null).map(() => ({ ...validClaims(), nbf: Math.floor(Date.now() / 1000) + 3600 })) },
  { weight: 1, arbitrary: fc.constant(null).map(() => ({ ...validClaims(), exp: Math.floor(Date.now() / 1000) + 400 * 86_400 })) },
  { weight: 1, arbitrary: oddValue },
);

/** A segment: base64url JSON, or something that is not (bad alphabet, padding, huge, empty, raw bytes). */
function segment(json: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: json.map((v) => b64url(JSON.stringify(v) ?? 'undefined')) },
    { weight: 1, arbitrary: json.map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64')) },
    { weight: 1, arbitrary: fc.constantFrom('', '=', '!!!', '%%', 'eyJ', 'a'.repeat(20_000), '\u00e9\u00e9') },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => b64url(Buffer.from(b))) },
  );
}

/** A correctly signed HS256 JWT of `claims`. */
function jwtOf(claims: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign(input)}`;
}

const jwt: fc.Arbitrary<string> = fc
  .tuple(segment(header), segment(claims), fc.constantFrom('right', 'right', 'wrong-key', 'empty', 'garbage'), fc.constantFrom(0, 0, 0, 0, 1, 2, -1))
  .map(([h, p, signature, extraSegments]) => {
    const input = `${h}.${p}`;
    const sig = signature === 'right' ? sign(input) : signature === 'wrong-key' ? sign(input, 'another secret of more than thirty-two bytes') : signature === 'empty' ? '' : 'x_-';
    const parts = [h, p, sig];
    if (extraSegments > 0) for (let i = 0; i < extraSegments; i++) parts.push(sig);
    if (extraSegments < 0) parts.pop();
    return parts.join('.');
  });

const garbageApiKey: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 24 }), fc.string({ maxLength: 60 })).map(([id, secret]) => `spk_${id}_${secret}`),
  fc.constant(null).map(() => `spk_${randomBytes(10).toString('hex')}_${randomBytes(32).toString('base64url')}`), // well formed, unknown id
  fc.constant(null).map(() => apiKey.slice(0, -2) + (apiKey.endsWith('AA') ? 'BB' : 'AA')), // the real key, one secret character off
  fc.string({ maxLength: 200 }),
);

/** Any token a browser or server might send, mostly JWT-shaped. */
const token: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: jwt }, { weight: 2, arbitrary: garbageApiKey });

/** Characters Node lets through in a header value (visible ASCII, space, tab, obs-text). */
const headerSafe = (s: string): string => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

// ---- HTTP ---------------------------------------------------------------------------------------------

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

function request(pathname: string, headers: Record<string, string>, opts: { abortOnOk?: boolean } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(server.url + pathname, { method: 'GET', headers, agent: false, timeout: 30_000 }, (res) => {
      if (opts.abortOnOk === true && res.statusCode === 200) {
        // An SSE stream that opened: the credential was valid. Close it.
        resolve({ status: 200, body: '' });
        res.destroy();
        return;
      }
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${pathname.slice(0, 80)} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

const errorCode = (answer: HttpAnswer): unknown => {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return undefined;
  }
};

/**
 * Whether an HTTP answer to a fuzzed credential is one of the specific ones. `mayBeDenied`: a route
 * that needs an ACL (SSE: READ on the topic), where a valid credential without the grant gets 403.
 */
function specificHttpAnswer(answer: HttpAnswer, outcomes: Map<string, number>, mayBeDenied = false): boolean {
  const code = errorCode(answer);
  const key = `${answer.status} ${String(code ?? '')}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  if (answer.status === 200) return true; // checked by the caller: only a valid credential gets here
  if (mayBeDenied && answer.status === 403 && code === 'TOPIC_AUTHORIZATION_FAILED') return true;
  return (answer.status === 401 && code === 'SASL_AUTHENTICATION_FAILED') || (answer.status === 431 && code === 'REQUEST_HEADER_FIELDS_TOO_LARGE');
}

/** whoami's principal for a 200: a fuzzed credential may only ever be the key's or a JWT's acme principal. */
function legitimatePrincipal(answer: HttpAnswer): boolean {
  if (answer.status !== 200 || answer.body === '') return true;
  const principal = (JSON.parse(answer.body) as { principal?: string }).principal;
  return principal === 'User:acme.app' || principal === 'User:acme.u1';
}

// ---- Kafka SASL ---------------------------------------------------------------------------------------

interface SaslAnswer {
  readonly errorCode: number;
  readonly authBytes?: Buffer;
}

async function saslExchange(mechanism: string, messages: (serverChallenge: Buffer | null) => Buffer | null): Promise<number[]> {
  const client = await KafkaRawClient.connect(server.kafkaPort);
  const codes: number[] = [];
  try {
    const handshake = await client.request<{ errorCode: number }>(SASL_HANDSHAKE, 1, { mechanism });
    codes.push(handshake.errorCode);
    if (handshake.errorCode !== KafkaErrorCode.NONE) return codes;
    let challenge: Buffer | null = null;
    for (let step = 0; step < 2; step++) {
      const authBytes = messages(challenge);
      if (authBytes === null) break;
      const answer = await client.request<SaslAnswer>(SASL_AUTHENTICATE, 2, { authBytes });
      codes.push(answer.errorCode);
      if (answer.errorCode !== KafkaErrorCode.NONE) break;
      challenge = answer.authBytes ?? Buffer.alloc(0);
    }
    return codes;
  } finally {
    client.close();
  }
}

const SASL_ERRORS = new Set<number>([KafkaErrorCode.SASL_AUTHENTICATION_FAILED, KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, KafkaErrorCode.ILLEGAL_SASL_STATE]);

type Hash = 'sha256' | 'sha512';
const HASH_OF: Record<string, Hash> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

/** The correct client-final for `serverFirst` (RFC 5802), or null when the server-first is not one. */
function clientFinal(hash: Hash, clientFirstBare: string, serverFirst: string, password: string): { withoutProof: string; proof: string } | null {
  const fields = new Map(serverFirst.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const));
  const [nonce, salt, iterations] = [fields.get('r'), fields.get('s'), Number(fields.get('i'))];
  if (nonce === undefined || salt === undefined || !(iterations >= 1 && iterations <= 100_000)) return null;
  const size = hash === 'sha256' ? 32 : 64;
  const salted = pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, size, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${nonce}`;
  const signature = createHmac(hash, storedKey).update(`${clientFirstBare},${serverFirst},${withoutProof}`).digest();
  return { withoutProof, proof: Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64') };
}

/** Mutations of a SCRAM message's text (attributes dropped, repeated, rewritten, injected). */
const scramMutation: fc.Arbitrary<(message: string) => string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant((m: string) => m) },
  fc.nat(6).map((i) => (m: string) => m.split(',').filter((_, j) => j !== i % Math.max(1, m.split(',').length)).join(',')),
  fc.nat(6).map((i) => (m: string) => {
    const parts = m.split(',');
    const at = i % parts.length;
    return [...parts.slice(0, at + 1), parts[at]!, ...parts.slice(at + 1)].join(',');
  }),
  fc.constantFrom(
    (m: string) => m.replace(/r=[^,]*/, 'r=not-the-nonce'),
    (m: string) => m.replace(/r=([^,]*)/, (_, n: string) => `r=${n.slice(0, -1)}`),
    (m: string) => m.replace(/r=([^,]*)/, (_, n: string) => `r=${n}${n}`),
    (m: string) => m.replace(/p=[^,]*/, 'p=***not base64***'),
    (m: string) => m.replace(/p=[^,]*/, `p=${Buffer.alloc(64).toString('base64')}`),
    (m: string) => m.replace(/p=[^,]*/, `p=${randomBytes(100_000).toString('base64')}`),
    (m: string) => m.replace(/c=[^,]*/, 'c=eSws'), // "y,,"
    (m: string) => m.replace(/c=[^,]*/, 'c=cD10bHMtdW5pcXVlLCw='), // "p=tls-unique,,"
    (m: string) => m.replace(/c=[^,]*/, 'c=@@@'),
    (m: string) => m.replace(/^n,,/, 'p=tls-server-end-point,,'),
    (m: string) => m.replace(/^n,,/, 'y,,'),
    (m: string) => m.replace(/^n,,/, 'n,a=acme.other,'),
    (m: string) => m.replace(/n=([^,]*)/, 'n=acme=2Ckafka'),
    (m: string) => m.replace(/n=([^,]*)/, 'n=bad=ZZescape'),
    (m: string) => m.replace(/n=([^,]*)/, `n=${'u'.repeat(70_000)}`),
    (m: string) => m.replace(/n=([^,]*)/, 'n=acme.\u0000kafka'),
    (m: string) => `${m},i=4294967296`,
    (m: string) => `${m},i=-1`,
    (m: string) => `${m},tokenauth=true`,
    (m: string) => `${m},m=mandatory-extension`,
    (m: string) => `${m},e=server-error-from-client`,
    (m: string) => m.toUpperCase(),
    (m: string) => m.replace(/,/g, ''),
    (m: string) => '\u00ff\u00fe' + m,
  ),
  fc.string({ maxLength: 100 }).map((s) => () => s),
);

describe('credential inputs fuzz (a real broker with SPOOL_AUTH=on)', () => {
  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'spool-credentials-fuzz-'));
    const issuers = path.join(dataDir, 'jwt-issuers.json');
    await writeFile(issuers, JSON.stringify([{ issuer: ISSUER, audience: 'spool', algorithms: ['HS256'], secret: JWT_SECRET, tenant: { fixed: 'acme' } }]));
    const admin = generateApiKey().apiKey;
    const [httpPort, kafkaPort] = [await freePort(), await freePort()];
    server = ServerProcess.start({
      SPOOL_DATA_DIR: path.join(dataDir, 'data'),
      SPOOL_HTTP_PORT: String(httpPort),
      SPOOL_KAFKA_PORT: String(kafkaPort),
      SPOOL_LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'warn',
      SPOOL_AUTH: 'on',
      SPOOL_ADMIN_API_KEY: admin,
      SPOOL_JWT_ISSUERS_FILE: issuers,
      // Short: a first frame the broker does not answer ends at this timeout (error frame, 4401), and
      // every such case waits for it.
      SPOOL_WS_AUTH_TIMEOUT_MS: '2000',
    });
    // A bound for a loaded machine (several brokers starting on 2 cores), not a measurement.
    await server.waitFor('/readyz', (res) => res.status === 200, 240_000);
    const call = async (method: string, route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(server.url + route, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await call('POST', '/v1/admin/tenants', { name: 'acme' })).status).toBe(201);
    const key = await call('POST', '/v1/admin/api-keys', { principal: 'acme.app' });
    expect(key.status).toBe(201);
    apiKey = key.body.apiKey as string;
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) expect((await call('POST', '/v1/admin/scram-credentials', { user: SCRAM_USER, mechanism, password: PASSWORD })).status).toBe(200);
    expect((await call('POST', '/v1/topics', { name: TOPIC, partitions: 1 })).status).toBe(201);
    const allow = { resourceType: 'TOPIC', resourceName: 'acme.', patternType: 'PREFIXED', operation: 'ALL', permissionType: 'ALLOW' };
    expect((await call('POST', '/v1/admin/acls', { acls: [{ ...allow, principal: 'User:acme.app' }, { ...allow, principal: `User:${SCRAM_USER}` }] })).status).toBe(201);
    await expectHealthy();
  }, 360_000);

  afterAll(async () => {
    await server?.kill();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it(`HTTP: ${RUNS} Authorization headers (mutated JWTs, garbage keys, other schemes, over the header limit) get 401 or 431, never a 5xx`, async () => {
    const outcomes = new Map<string, number>();
    const authorization = fc.oneof(
      { weight: 6, arbitrary: token.map((t) => `Bearer ${t}`) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'bearer', 'Basic YWRtaW46YWRtaW4=', 'Bearer  two  spaces', 'Token x', '') },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((kb) => `Bearer ${'A'.repeat(kb * 1024)}`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
    );
    const ok = async (value: string): Promise<boolean> => {
      const answer = await request('/v1/whoami', { authorization: headerSafe(value) });
      const fine = specificHttpAnswer(answer, outcomes) && legitimatePrincipal(answer);
      if (!fine) console.error(`Authorization ${JSON.stringify(value.slice(0, 300))} -> ${answer.status} ${answer.body.slice(0, 300)}`);
      return fine;
    };
    for (const value of REGRESSIONS.http) expect(await ok(value)).toBe(true);
    await fc.assert(fc.asyncProperty(authorization, ok), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    await expectHealthy();
    // The fuzzer reached past the parser: refusals for several reasons, and over-limit headers.
    const codes = [...outcomes.keys()];
    expect(codes).toEqual(expect.arrayContaining(['401 SASL_AUTHENTICATION_FAILED', '431 REQUEST_HEADER_FIELDS_TOO_LARGE']));
  }, 900_000);

  it(`SSE: ${RUNS} tokens in the access_token query parameter or the spool_token cookie get 401 or 431 (403 for a valid token without READ)`, async () => {
    const outcomes = new Map<string, number>();
    const where = fc.constantFrom('query', 'cookie');
    const ok = async ([t, place]: [string, string]): Promise<boolean> => {
      const pathname = `/v1/topics/${TOPIC}/events${place === 'query' ? `?access_token=${encodeURIComponent(t)}` : ''}`;
      const answer = await request(pathname, place === 'cookie' ? { cookie: `spool_token=${headerSafe(t)}` } : {}, { abortOnOk: true });
      const fine = specificHttpAnswer(answer, outcomes, true);
      if (!fine) console.error(`SSE ${place} ${JSON.stringify(t.slice(0, 300))} -> ${answer.status} ${answer.body.slice(0, 300)}`);
      return fine;
    };
    for (const make of REGRESSIONS.sse) for (const place of ['query', 'cookie']) expect(await ok([make(), place])).toBe(true);
    await fc.assert(fc.asyncProperty(fc.tuple(token, where), ok), { numRuns: RUNS, seed: SEED + 1, endOnFailure: true });
    await expectHealthy();
    expect([...outcomes.keys()]).toContain('401 SASL_AUTHENTICATION_FAILED');
  }, 900_000);

  it(`WebSocket: ${RUNS} first frames (authenticate with mutated tokens, or not) get an error frame (SASL_AUTHENTICATION_FAILED, INVALID_REQUEST for another frame) and close 4401`, async () => {
    const wsUrl = `ws://127.0.0.1:${server.httpPort}/v1/ws`;
    const outcomes = new Map<string, number>();
    const firstFrame = fc.oneof(
      { weight: 6, arbitrary: token.map((t) => JSON.stringify({ type: 'authenticate', token: t })) },
      { weight: 1, arbitrary: oddValue.map((t) => JSON.stringify({ type: 'authenticate', token: t })) },
      { weight: 1, arbitrary: fc.constantFrom('{"type":"authenticate"}', '{"type":"subscribe","topic":"acme.fz"}', 'not json', '[]', 'null', '{"type":"authenticate","token":"' + 'a'.repeat(20_000) + '"}') },
    );
    const ok = (frame: string): Promise<boolean> =>
      new Promise((resolve) => {
        const ws = new WebSocket(wsUrl);
        let first: { type?: string; code?: string } | null = null;
        let sent = false;
        let finished = false;
        const done = (fine: boolean, why: string): void => {
          // Once: terminating after `authenticated` fires 'close' too.
          if (finished) return;
          finished = true;
          const key = why;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          if (!fine) console.error(`WebSocket first frame ${JSON.stringify(frame.slice(0, 300))} -> ${why}`);
          clearTimeout(timer);
          ws.terminate();
          resolve(fine);
        };
        const timer = setTimeout(() => done(false, 'no answer within 30 s'), 30_000);
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type?: string; code?: string };
          if (message.type === 'hello' && !sent) {
            sent = true;
            ws.send(frame);
            return;
          }
          first ??= message;
          if (message.type === 'authenticated') done(true, 'authenticated');
        });
        ws.on('close', (code) => {
          const fine = first?.type === 'error' && (first.code === 'SASL_AUTHENTICATION_FAILED' || first.code === 'INVALID_REQUEST') && code === 4401;
          done(fine, `${first?.type ?? 'no frame'} ${first?.code ?? ''} close ${code}`);
        });
        ws.on('error', () => undefined); // the close event reports it
      });
    for (const frame of REGRESSIONS.ws) expect(await ok(frame)).toBe(true);
    await fc.assert(fc.asyncProperty(firstFrame, ok), { numRuns: RUNS, seed: SEED + 2, endOnFailure: true });
    await expectHealthy();
    expect([...outcomes.keys()]).toContain('error SASL_AUTHENTICATION_FAILED close 4401');
  }, 900_000);

  it(`Kafka: ${RUNS} SASL exchanges (mutated SCRAM messages, PLAIN with NULs and huge fields) end in a SASL error code`, async () => {
    const outcomes = new Map<string, number>();
    const scram = fc.record({
      mechanism: fc.constantFrom('SCRAM-SHA-256', 'SCRAM-SHA-512'),
      user: fc.constantFrom(SCRAM_USER, SCRAM_USER, 'acme.nobody', ''),
      password: fc.constantFrom(PASSWORD, PASSWORD, 'wrong'),
      first: scramMutation,
      final: scramMutation,
    });
    const plain = fc.record({
      authzid: fc.oneof(fc.constant(''), fc.constant(SCRAM_USER), fc.string({ maxLength: 20 })),
      user: fc.oneof(fc.constant(SCRAM_USER), fc.string({ maxLength: 30 }), fc.integer({ min: 1, max: 300 }).map((kb) => 'u'.repeat(kb * 1024))),
      password: fc.oneof(fc.constant('wrong'), fc.string({ maxLength: 30 }), garbageApiKey, fc.integer({ min: 1, max: 300 }).map((kb) => 'p'.repeat(kb * 1024))),
      extraNuls: fc.nat(3),
    });
    const exchange = fc.oneof(
      { weight: 5, arbitrary: scram.map((s) => ({ kind: 'scram' as const, ...s })) },
      { weight: 3, arbitrary: plain.map((p) => ({ kind: 'plain' as const, ...p })) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), mechanism: fc.oneof(fc.constantFrom('PLAIN', 'SCRAM-SHA-256', 'GSSAPI', 'OAUTHBEARER', 'scram-sha-256', ''), fc.string({ maxLength: 40 })), bytes: fc.uint8Array({ maxLength: 4096 }) }) },
    );
    type Case = ({ kind: 'scram' } & { mechanism: string; user: string; password: string; first: (m: string) => string; final: (m: string) => string }) | ({ kind: 'plain' } & { authzid: string; user: string; password: string; extraNuls: number }) | { kind: 'raw'; mechanism: string; bytes: Uint8Array };
    const ok = async (e: Case): Promise<boolean> => {
      const codes = await run(e);
      const last = codes[codes.length - 1]!;
      const key = `${e.kind} ${codes.join(',')}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      const succeeded = last === KafkaErrorCode.NONE;
      const fine = succeeded ? legitimateSuccess(e) : SASL_ERRORS.has(last);
      if (!fine) console.error(`SASL ${JSON.stringify(e).slice(0, 400)} -> ${codes.join(',')}`);
      return fine;
    };
    /** Success is fine only for a login that is valid as sent. */
    function legitimateSuccess(e: Case): boolean {
      if (e.kind === 'plain') return e.user === SCRAM_USER && e.password === PASSWORD && e.extraNuls === 0 && (e.authzid === '' || e.authzid === SCRAM_USER);
      if (e.kind === 'scram') return e.user === SCRAM_USER && e.password === PASSWORD;
      return false;
    }
    async function run(e: Case): Promise<number[]> {
      if (e.kind === 'raw') return saslExchange(e.mechanism, (challenge) => (challenge === null ? Buffer.from(e.bytes) : null));
      if (e.kind === 'plain') return saslExchange('PLAIN', (challenge) => (challenge === null ? Buffer.from([e.authzid, e.user, e.password].join('\u0000') + '\u0000'.repeat(e.extraNuls), 'utf8') : null));
      const bare = `n=${e.user},r=${randomBytes(18).toString('base64url')}`;
      const first = e.first(`n,,${bare}`);
      return saslExchange(e.mechanism, (challenge) => {
        if (challenge === null) return Buffer.from(first, 'utf8');
        const serverFirst = challenge.toString('utf8');
        const final = clientFinal(HASH_OF[e.mechanism]!, first.startsWith('n,,') ? first.slice(3) : bare, serverFirst, e.password);
        if (final === null) return Buffer.from(e.final('c=biws,r=x,p=AAAA'), 'utf8');
        return Buffer.from(e.final(`${final.withoutProof},p=${final.proof}`), 'utf8');
      });
    }
    for (const first of REGRESSIONS.scram) expect(SASL_ERRORS.has((await saslExchange('SCRAM-SHA-256', (c) => (c === null ? Buffer.from(first) : null))).at(-1)!)).toBe(true);
    await fc.assert(fc.asyncProperty(exchange as fc.Arbitrary<Case>, ok), { numRuns: RUNS, seed: SEED + 3, endOnFailure: true });
    await expectHealthy();
    const keys = [...outcomes.keys()];
    // Both SCRAM steps were reached and refused, and some logins succeeded (the generator is not all noise).
    expect(keys.some((k) => k.startsWith('scram 0,0,58'))).toBe(true);
    expect(keys.some((k) => k.startsWith('scram 0,58'))).toBe(true);
    expect(keys.some((k) => k.startsWith('plain 0,58'))).toBe(true);
  }, 900_000);

  it('kept its resident memory bounded over the whole run', () => {
    rssSamples.push(rssBytes());
    const [first, max] = [rssSamples[0]!, Math.max(...rssSamples)];
    expect(max).toBeLessThan(RSS_BOUND_BYTES);
    expect(max - first).toBeLessThan(RSS_GROWTH_BOUND_BYTES);
  });
});
