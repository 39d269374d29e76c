/** Shared test helpers: a real FileSecurityStore in a temp dir, a capturing logger, identities. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@spool/common';
import type { Identity } from './principal.js';
import { FileSecurityStore } from './store/file-security-store.js';

export async function tempDir(prefix = 'spool-security-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function openTempStore(): Promise<{ store: FileSecurityStore; dir: string; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir();
  const store = new FileSecurityStore({ dir });
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close();
      await cleanup();
    },
  };
}

/** A Logger that keeps every line as JSON text, to assert on what would have been logged. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (bindings: object): Logger & { lines: string[] } => {
    const write = (level: string) => (obj: object, msg?: string) => {
      lines.push(JSON.stringify({ level, ...bindings, ...obj, msg }));
    };
    return { lines, info: write('info'), warn: write('warn'), error: write('error'), debug: write('debug'), child: (b: object) => make({ ...bindings, ...b }) };
  };
  return make({});
}

export function testIdentity(principal: string, tenant: string | null = null, clientHost = '127.0.0.1'): Identity {
  return {
    principal,
    principalName: principal.slice(principal.indexOf(':') + 1),
    tenant,
    credentialKind: 'api-key',
    credentialId: 'test',
    expiresAtMs: null,
    grants: [],
    clientHost,
  };
}

/** Fast but real scrypt parameters for tests (N = 1024). */
export const TEST_SCRYPT = { ln: 10, r: 8, p: 1 };
