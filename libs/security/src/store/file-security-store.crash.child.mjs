// Child process of file-security-store.crash.int-spec.ts: opens the store in argv[2] and writes
// one API-key-shaped record per write, as fast as it can, printing "ack <revision> <keyId>" after
// each write resolves (durable). It runs the compiled library (npm run build) under argv[3].
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, distRoot, prefix] = [process.argv[2], process.argv[3], process.argv[4]];
const { FileSecurityStore } = await import(pathToFileURL(path.join(distRoot, 'libs', 'security', 'src', 'index.js')).href);
const store = new FileSecurityStore({ dir, compactMinBytes: 64 * 1024 });
await store.load();
for (let i = 0; ; i++) {
  const keyId = `${prefix}${String(i).padStart(20 - prefix.length, '0')}`;
  const apiKey = { keyId, principal: 'User:acme.a', tenant: 'acme', secretHash: 'x', createdAtMs: i, expiresAtMs: null, revokedAtMs: i % 3 === 0 ? i : null, description: 'crash test' };
  const revision = await store.write([{ op: 'put', record: { type: 'api-key', apiKey } }]);
  process.stdout.write(`ack ${revision} ${keyId}\n`);
}
