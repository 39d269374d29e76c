/**
 * Constant-time comparison wherever a secret is compared (docs/security.md, "Comparing secrets"): a
 * static scan of the source of libs/, apps/ and client/ (tests excluded) that fails, naming file and
 * line, on
 *   - `===`, `!==`, `==`, `!=` with an operand whose name says it holds a secret or a value derived from
 *     one (secret, password, proof, signature, storedKey, serverKey, clientKey, salted..., hmac, digest,
 *     hash, token, credential, cookie, apiKey, privateKey), unless the other side is a literal
 *     (`null`, `'string'`, a number) or a public constant (`KafkaApiKey.Produce`, `SASL_HANDSHAKE`),
 *     or the operand is a length or size (`proof.length`) or names something about a secret rather than
 *     the secret (`credentialId`, `credentialKind`, `tokenExpiresAtMs`);
 *   - `.equals(...)` and `Buffer.compare(...)` touching such a name;
 *   - `timingSafeEqual(` anywhere but libs/common/src/constant-time.ts: everything goes through
 *     constantTimeEqual, which also gets the length check right.
 * Hits that are not secrets are listed in ALLOWED with the reason; an entry that no longer matches
 * anything fails too, so the list cannot rot. The scanner itself is tested on snippets below.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const ROOTS = ['libs', 'apps', 'client/src'];
const HELPER = 'libs/common/src/constant-time.ts';

const SECRET_NAME = /secret|passw(or)?d|proof|signature|storedkey|serverkey|clientkey|salted|hmac|digest|hash|token|credential|cookie|apikey|privatekey/i;
/** A chain of identifiers, property accesses, calls and indexes: `this.cache.get(keyId)?.digest`. */
const OPERAND_TAIL = /(?:[\w$]+(?:\([^()]*\))?(?:\[[^\]]*\])?\??!?\.)*[\w$]+(?:\([^()]*\))?(?:\[[^\]]*\])?!?$/;
const OPERAND_HEAD = /^!?(?:[\w$]+(?:\([^()]*\))?(?:\[[^\]]*\])?\??!?\.)*[\w$]+(?:\([^()]*\))?(?:\[[^\]]*\])?!?/;

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly what: string;
  readonly text: string;
}

/** Source with comments removed and string and template contents blanked (line numbers kept). */
export function stripCommentsAndStrings(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      i += 2;
      while (i < source.length && !(source[i] === '*' && source[i + 1] === '/')) out += source[i++] === '\n' ? '\n' : '';
      i += 2;
    } else if (c === '\'' || c === '"' || c === '`') {
      out += c + 'S';
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\') i++;
        else if (source[i] === '\n') out += '\n';
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function lastName(operand: string): string {
  const names = operand.replace(/\([^()]*\)|\[[^\]]*\]/g, '').split(/[?!.]+/).filter((n) => n.length > 0);
  return names[names.length - 1] ?? '';
}

/** Names about a secret that are not one: its id, kind, name, time, ... (`credentialId`, `tokenExpiresAtMs`). */
const ABOUT_A_SECRET = /(id|ids|kind|name|type|count|atms|ms|prefix|format|mechanism|length|size)$/i;

function namesSecret(operand: string): boolean {
  const name = lastName(operand);
  return SECRET_NAME.test(name) && !ABOUT_A_SECRET.test(name);
}

function isLiteralOrConstant(operand: string): boolean {
  if (/^(['"`]S['"`]|-?\d[\d_.xn]*|null|undefined|true|false)$/.test(operand)) return true;
  if (/^[A-Z][A-Z0-9_]+$/.test(operand)) return true; // SASL_HANDSHAKE
  return /^[A-Z][\w$]*\.[\w$]+$/.test(operand) && !/^(Buffer|this)\./.test(operand); // KafkaApiKey.Produce
}

function isLength(operand: string): boolean {
  return /^(length|size|byteLength)$/.test(lastName(operand));
}

/** The findings in one file's source (`file` only names them). */
export function scanSource(file: string, source: string): Finding[] {
  const findings: Finding[] = [];
  const lines = stripCommentsAndStrings(source).split('\n');
  const original = source.split('\n');
  lines.forEach((line, index) => {
    const report = (what: string): void => {
      findings.push({ file, line: index + 1, what, text: (original[index] ?? '').trim() });
    };
    for (const m of line.matchAll(/\s*(===|!==|==|!=)\s*/g)) {
      const left = OPERAND_TAIL.exec(line.slice(0, m.index))?.[0] ?? '';
      const right = OPERAND_HEAD.exec(line.slice(m.index + m[0].length))?.[0] ?? '';
      if (left === '' || right === '') continue;
      if (isLiteralOrConstant(left) || isLiteralOrConstant(right) || isLength(left) || isLength(right)) continue;
      if (namesSecret(left) || namesSecret(right)) report(`${left} ${m[1]} ${right}`);
    }
    for (const m of line.matchAll(/\.equals\(([^()]*(?:\([^()]*\))?[^()]*)\)/g)) {
      const receiver = OPERAND_TAIL.exec(line.slice(0, m.index))?.[0] ?? '';
      if (namesSecret(receiver) || m[1]!.split(',').some((arg) => namesSecret(arg.trim()))) report(`${receiver}.equals(${m[1]})`);
    }
    for (const m of line.matchAll(/Buffer\.compare\(([^()]*)\)/g)) {
      if (m[1]!.split(',').some((arg) => namesSecret(arg.trim()))) report(`Buffer.compare(${m[1]})`);
    }
    if (file !== HELPER && /\btimingSafeEqual\b/.test(line)) report('timingSafeEqual outside constantTimeEqual');
  });
  return findings;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'generated') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts|tsx)$/.test(name) && !/\.(spec|int-spec|e2e-spec|d)\.ts$|\.test-util\.ts$/.test(name)) out.push(full);
  }
  return out;
}

/** Not secrets, though their names say so; each entry must still match something. */
const ALLOWED: ReadonlyArray<{ readonly file: string; readonly text: RegExp; readonly why: string }> = [
  { file: 'libs/coordinator/src/offsets-partitions.ts', text: /token/, why: 'a fencing token (a load generation counter), not a credential' },
  { file: 'libs/broker-client/src/broker-connection.ts', text: /k\.apiKey === ours\.apiKey/, why: 'Kafka API numbers (ApiVersions), not API keys' },
  { file: 'apps/server/src/kafka/kafka-api-versions.ts', text: /KafkaApiKey\[n\] === apiKey/, why: 'a Kafka API number, not an API key' },
  { file: 'libs/security/src/api-key/api-key-authenticator.ts', text: /this\.catalog\.apiKey\(keyId\) === record/, why: 'identity of the stored record object (was it replaced while scrypt ran?), not its content' },
];

describe('secret comparison scanner', () => {
  const hits = (source: string): string[] => scanSource('x.ts', source).map((f) => f.what);

  it('flags === and !== on names of secrets, and .equals / Buffer.compare / timingSafeEqual', () => {
    expect(hits('if (proof === expected) ok();')).toEqual(['proof === expected']);
    expect(hits('return given !== this.serverSignature;')).toEqual(['given !== this.serverSignature']);
    expect(hits('const ok = record.secretHash == computed;')).toEqual(['record.secretHash == computed']);
    expect(hits('if (storedKey.equals(computed)) ok();')).toEqual(['storedKey.equals(computed)']);
    expect(hits('if (a.equals(this.cache.get(k)!.digest)) ok();')).toHaveLength(1);
    expect(hits('return Buffer.compare(a, credential.storedKey) === 0;')).toEqual(['Buffer.compare(a, credential.storedKey)']);
    expect(hits('return timingSafeEqual(a, b);')).toEqual(['timingSafeEqual outside constantTimeEqual']);
    expect(hits('if (req.cookies.spool_token === t) ok();')).toHaveLength(1);
    expect(hits('if (password !== confirm) fail();')).toEqual(['password !== confirm']);
  });

  it('passes literals, constants, lengths, and comments or strings that only mention secrets', () => {
    expect(hits("if (typeof token !== 'string' || token.length === 0) fail();")).toEqual([]);
    expect(hits('if (secretHash === undefined || proof.length !== hash.size) fail();')).toEqual([]);
    expect(hits('if (apiKey === KafkaApiKey.Produce || apiKey === SASL_HANDSHAKE) go();')).toEqual([]);
    expect(hits("// if (proof === expected) is what we must not write\nconst s = 'token === x';")).toEqual([]);
    expect(hits('if (constantTimeEqual(storedKey, computed)) ok();')).toEqual([]);
    expect(hits('if (topic === other) go();')).toEqual([]);
    expect(hits('if (identity.credentialId !== revocation.keyId) skip();')).toEqual([]);
  });

  it('reports file and line', () => {
    expect(scanSource('libs/a/src/b.ts', 'const a = 1;\n\nif (hmac === mac) x();')).toEqual([
      { file: 'libs/a/src/b.ts', line: 3, what: 'hmac === mac', text: 'if (hmac === mac) x();' },
    ]);
  });
});

describe('every comparison of a secret in libs/, apps/ and client/ is constant-time', () => {
  const files = ROOTS.flatMap((root) => sourceFiles(path.join(REPO_ROOT, root)));
  const findings = files.flatMap((file) => {
    const relative = path.relative(REPO_ROOT, file).split(path.sep).join('/');
    return scanSource(relative, readFileSync(file, 'utf8'));
  });

  it('scans the sources (hundreds of files)', () => {
    expect(files.length).toBeGreaterThan(300);
    expect(files.some((f) => f.endsWith(path.join('libs', 'security', 'src', 'sasl', 'scram-sasl-server.ts')))).toBe(true);
  });

  it('finds no variable-time comparison of a secret (use constantTimeEqual from @spool/common)', () => {
    const offending = findings.filter((f) => !ALLOWED.some((a) => a.file === f.file && a.text.test(f.text)));
    expect(offending.map((f) => `${f.file}:${f.line}: ${f.what}    (${f.text})`)).toEqual([]);
  });

  it('has no stale allowance', () => {
    const unused = ALLOWED.filter((a) => !findings.some((f) => f.file === a.file && a.text.test(f.text)));
    expect(unused.map((a) => `${a.file} ${a.text}`)).toEqual([]);
  });
});
