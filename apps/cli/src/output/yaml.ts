/**
 * js-yaml, loaded on first use: most commands never print YAML, and loading it took ~50 ms of every
 * command's start-up (a `spool consume` of a million records is timed from spawn to exit).
 * createRequire gives a synchronous load of its CommonJS build, so callers stay synchronous.
 */
import { createRequire } from 'node:module';
import type { dump as Dump } from 'js-yaml';

let loaded: { dump: typeof Dump } | undefined;

export function yamlDump(...args: Parameters<typeof Dump>): string {
  loaded ??= createRequire(import.meta.url)('js-yaml') as { dump: typeof Dump };
  return loaded.dump(...args);
}
