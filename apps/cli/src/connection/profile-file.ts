/**
 * The profile file: named connections (broker URL and credentials) so that a token need not be
 * typed on command lines, where `ps` and shell history would show it.
 *
 * Format (JSON, written by `spool profile set` with mode 0600):
 *
 *   { "current": "local",
 *     "profiles": { "local": { "url": "http://127.0.0.1:8080" },
 *                   "prod":  { "url": "https://spool.example.com", "token": "spk_..." } } }
 *
 * Location: --profile-file, else SPOOL_PROFILE_FILE, else $XDG_CONFIG_HOME/spool/config.json, else
 * ~/.config/spool/config.json. A missing file is an empty one. A file that holds a token and that
 * others may read draws a warning (ssh refuses such keys; a warning keeps shared CI setups working).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { usageError } from '../cli.error.js';

export interface Profile {
  url?: string;
  token?: string;
}

export interface ProfileFile {
  current?: string;
  profiles: Record<string, Profile>;
}

export function profileFilePath(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  if (env.SPOOL_PROFILE_FILE) return path.resolve(env.SPOOL_PROFILE_FILE);
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(base, 'spool', 'config.json');
}

function checkProfile(name: string, value: unknown, file: string): Profile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`${file}: profile ${JSON.stringify(name)} must be an object`);
  const p = value as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (key !== 'url' && key !== 'token') throw usageError(`${file}: profile ${JSON.stringify(name)} has an unknown field ${JSON.stringify(key)} (allowed: url, token)`);
    if (typeof p[key] !== 'string') throw usageError(`${file}: profile ${JSON.stringify(name)}: ${key} must be a string`);
  }
  return { ...(p.url !== undefined && { url: p.url as string }), ...(p.token !== undefined && { token: p.token as string }) };
}

/** Reads the file; `warn` gets the permission warning. */
export function readProfileFile(file: string, warn: (line: string) => void): ProfileFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw usageError(`cannot read the profile file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw usageError(`the profile file ${file} is not valid JSON: ${(err as Error).message}`, 'fix it by hand or remove it and run `spool profile set`');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usageError(`the profile file ${file} must hold a JSON object`);
  const o = parsed as Record<string, unknown>;
  if (o.current !== undefined && typeof o.current !== 'string') throw usageError(`${file}: "current" must be a profile name`);
  const raw = o.profiles ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw usageError(`${file}: "profiles" must be an object of named profiles`);
  const profiles: Record<string, Profile> = {};
  for (const [name, value] of Object.entries(raw)) profiles[name] = checkProfile(name, value, file);
  if (Object.values(profiles).some((p) => p.token !== undefined) && process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) warn(`warning: ${file} holds a token and others may read it (mode ${mode.toString(8)}): run chmod 600 ${JSON.stringify(file)}`);
  }
  return { ...(typeof o.current === 'string' && { current: o.current }), profiles };
}

/** Writes the file atomically (temp file + rename), readable by its owner only. */
export function writeProfileFile(file: string, content: ProfileFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
