/**
 * Readers for the Dockerfile and docker-compose.yml, for the tests that check them without a Docker
 * engine (docker-auth.spec.ts, docker-compose-cluster.spec.ts, test/docker-entrypoint.e2e-spec.ts):
 * the Dockerfile's stages (ENV, CMD) and Compose's services with its variable interpolation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load, YAML11_SCHEMA } from 'js-yaml';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

export interface DockerfileStage {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly cmd: string[] | null;
  readonly lines: string[];
}

/** The stages of a Dockerfile: ENV (both `K=V ...` and `K V` forms, with line continuations) and CMD (exec form). */
export function parseDockerfile(text: string): DockerfileStage[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: DockerfileStage[] = [];
  for (const line of logical) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const upper = instruction!.toUpperCase();
    if (upper === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length), env: {}, cmd: null, lines: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage === undefined) continue;
    stage.lines.push(line);
    if (upper === 'ENV') {
      if (/^\S+=/.test(args)) for (const m of args.matchAll(/(\S+?)=("[^"]*"|\S*)/g)) stage.env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
      else stage.env[rest[0]!] = rest.slice(1).join(' ');
    }
    if (upper === 'CMD') (stage as { cmd: string[] | null }).cmd = args.startsWith('[') ? (JSON.parse(args) as string[]) : ['/bin/sh', '-c', args];
  }
  return stages;
}

/** Compose's variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$`. */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    if (bare !== undefined) return env[bare] ?? '';
    const current = env[name!];
    const missing = current === undefined || (colon === ':' && current === '');
    if (op === '-') return missing ? arg! : current!;
    if (op === '?') {
      if (missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      return current!;
    }
    return current ?? '';
  });
}

export interface ComposeService {
  readonly build?: unknown;
  readonly image?: string;
  readonly profiles?: string[];
  readonly environment?: Record<string, string | number> | string[];
  readonly secrets?: unknown[];
}

export function rawEnvironment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

export const dockerfile = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
export const runtimeStage = dockerfile[dockerfile.length - 1]!;
const compose = load(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA }) as { services: Record<string, ComposeService> };
/** The services that run the broker image (built here, or spool:*), each with its raw environment. */
export const brokerServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined || (s.image ?? '').startsWith('spool'));

/**
 * What a container of `service` gets: the image's ENV under the service's environment, interpolated
 * with `callerEnv` (the shell that runs `docker compose`).
 */
export function containerEnvironment(service: ComposeService, callerEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const own = Object.fromEntries(Object.entries(rawEnvironment(service)).map(([k, v]) => [k, interpolate(v, callerEnv)]));
  return { ...runtimeStage.env, ...own };
}

