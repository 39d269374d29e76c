/**
 * `spool profile list|set|use|delete|show`: named connections in the profile file
 * (connection/profile-file.ts). Tokens are stored, never printed.
 */
import type { Command } from 'commander';
import { usageError } from '../cli.error.js';
import { normalizeUrl } from '../connection/connection.js';
import { profileFilePath, readProfileFile, writeProfileFile, type Profile } from '../connection/profile-file.js';
import { Context, type Runtime } from '../context.js';
import { renderFields, renderTable } from '../output/table.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function registerProfileCommands(program: Command, runtime: Runtime): void {
  const profile = program.command('profile').description('named connections (URL and token) in the profile file');
  const fileOf = (ctx: Context) => profileFilePath(ctx.globals.profileFile, runtime.env);
  const warn = (ctx: Context) => (line: string) => ctx.output.warn(line);

  profile
    .command('list')
    .description('list profiles (tokens are not shown)')
    .action((_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const file = fileOf(ctx);
      const content = readProfileFile(file, warn(ctx));
      const rows = Object.entries(content.profiles).map(([name, p]) => ({ name, current: name === content.current, url: p.url ?? null, token: p.token !== undefined }));
      ctx.output.result({ file, current: content.current ?? null, profiles: rows }, () =>
        rows.length === 0
          ? `no profiles in ${file}: create one with \`spool profile set <name> --url <url>\`\n`
          : renderTable(rows, [
              { header: 'CURRENT', value: (r) => (r.current ? '*' : '') },
              { header: 'NAME', value: (r) => r.name },
              { header: 'URL', value: (r) => r.url },
              { header: 'TOKEN', value: (r) => (r.token ? 'set' : '-') },
            ]),
      );
    });

  profile
    .command('set')
    .description('create or update a profile (the token comes from --token or, better, --token-stdin)')
    .argument('<name>')
    .option('--token-stdin', 'read the token from stdin (keeps it off the command line)')
    .option('--remove-token', 'remove the profile\'s token')
    .option('--use', 'make it the current profile')
    .action(async (name: string, opts: { tokenStdin?: boolean; removeToken?: boolean; use?: boolean }, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const globals = ctx.globals;
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw usageError(`profile names are 1-64 letters, digits, ".", "_" or "-", not ${JSON.stringify(name)}`);
      const file = fileOf(ctx);
      const content = readProfileFile(file, warn(ctx));
      const next: Profile = { ...content.profiles[name] };
      if (globals.url !== undefined) next.url = normalizeUrl(globals.url, '--url');
      let token: string | undefined;
      if (opts.tokenStdin) token = (await readAll(runtime.stdin)).trim();
      else if (globals.token !== undefined) token = globals.token;
      if (token !== undefined) {
        if (token === '' || /[\r\n]/.test(token)) throw usageError('the token is empty or holds a line break');
        next.token = token;
      } else if (opts.removeToken) {
        delete next.token;
      }
      if (next.url === undefined) throw usageError(`profile ${name} needs a URL: add --url <url>`);
      content.profiles[name] = next;
      if (opts.use || content.current === undefined) content.current = name;
      writeProfileFile(file, content);
      const summary = { file, name, url: next.url, token: next.token !== undefined, current: content.current === name };
      ctx.output.result(summary, () => `saved profile ${name} (${next.url}${next.token !== undefined ? ', with a token' : ''}) in ${file}${summary.current ? '; it is the current profile' : ''}\n`);
    });

  profile
    .command('use')
    .description('make a profile the current one')
    .argument('<name>')
    .action((name: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const file = fileOf(ctx);
      const content = readProfileFile(file, warn(ctx));
      if (content.profiles[name] === undefined) throw usageError(`no profile named ${JSON.stringify(name)} in ${file}`, `known: ${Object.keys(content.profiles).join(', ') || 'none'}`);
      content.current = name;
      writeProfileFile(file, content);
      ctx.output.result({ file, current: name }, () => `current profile: ${name}\n`);
    });

  profile
    .command('delete')
    .description('remove a profile')
    .argument('<name>')
    .action((name: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const file = fileOf(ctx);
      const content = readProfileFile(file, warn(ctx));
      if (content.profiles[name] === undefined) throw usageError(`no profile named ${JSON.stringify(name)} in ${file}`);
      delete content.profiles[name];
      if (content.current === name) delete content.current;
      writeProfileFile(file, content);
      ctx.output.result({ file, deleted: name }, () => `deleted profile ${name}\n`);
    });

  profile
    .command('show')
    .description('show the connection the other commands would use, and where each part comes from')
    .action((_opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd, runtime);
      const c = ctx.connection;
      const view = { url: c.url, profile: c.profile ?? null, token: c.token !== undefined, file: fileOf(ctx), timeoutMs: c.timeoutMs };
      ctx.output.result(view, () => renderFields([['URL', view.url], ['Profile', view.profile ?? '-'], ['Token', view.token ? 'set' : 'none'], ['Profile file', view.file], ['Timeout (ms)', view.timeoutMs]]));
    });
}
