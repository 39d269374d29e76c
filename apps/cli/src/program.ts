/**
 * The `spool` command tree (commander). Each command group lives in commands/; this file adds the
 * global options, turns commander's parse errors into exit status 2, and prints errors with what
 * to do about them.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError } from './cli.error.js';
import { registerAclCommands } from './commands/acl.command.js';
import { registerClusterCommands } from './commands/cluster.command.js';
import { registerCompletionCommand } from './commands/completion.command.js';
import { registerConsumeCommand } from './commands/consume.command.js';
import { registerGroupCommands } from './commands/group.command.js';
import { registerKeyCommands } from './commands/key.command.js';
import { registerProduceCommand } from './commands/produce.command.js';
import { registerProfileCommands } from './commands/profile.command.js';
import { registerSdkCommands } from './commands/sdk.command.js';
import { registerSubscriptionCommands } from './commands/subscription.command.js';
import { registerTenantCommands } from './commands/tenant.command.js';
import { registerTopicCommands } from './commands/topic.command.js';
import { registerUserCommands } from './commands/user.command.js';
import { parseIntOption } from './commands/options.js';
import type { Runtime } from './context.js';
import { ExitCode } from './exit-codes.js';
import { OUTPUT_FORMATS } from './output/output.js';

export const CLI_VERSION = '0.1.0';

export function buildProgram(runtime: Runtime): Command {
  const program = new Command('spool')
    .description('Command-line tool for Spool brokers: topics, produce, consume, consumer groups, cluster, ACLs, push subscriptions.')
    .version(CLI_VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'broker HTTP address [env: SPOOL_URL] (default: http://127.0.0.1:8080)'))
    .addOption(new Option('--token <token>', 'API key or token, sent as Authorization: Bearer [env: SPOOL_TOKEN] (prefer the env or a profile: command lines are visible to other users)'))
    .addOption(new Option('--profile <name>', 'profile from the profile file [env: SPOOL_PROFILE]'))
    .addOption(new Option('--profile-file <file>', 'profile file [env: SPOOL_PROFILE_FILE] (default: ~/.config/spool/config.json)'))
    .addOption(new Option('-o, --output <format>', 'result format (default: table; consume: JSON lines)').choices(OUTPUT_FORMATS))
    .addOption(new Option('--timeout-ms <ms>', 'bound on each admin request').argParser(parseIntOption('--timeout-ms', 1)).default(30_000))
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  registerTopicCommands(program, runtime);
  registerProduceCommand(program, runtime);
  registerConsumeCommand(program, runtime);
  registerGroupCommands(program, runtime);
  registerClusterCommands(program, runtime);
  registerAclCommands(program, runtime);
  registerSubscriptionCommands(program, runtime);
  registerKeyCommands(program, runtime);
  registerTenantCommands(program, runtime);
  registerUserCommands(program, runtime);
  registerProfileCommands(program, runtime);
  registerSdkCommands(program, runtime);
  registerCompletionCommand(program, runtime);
  // Commander errors (unknown option, missing argument, bad choice) become exit status 2, help and
  // --version exit 0; nothing calls process.exit, so tests can run the program in-process.
  const configure = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => runtime.streams.stdout.write(s),
      writeErr: (s) => runtime.streams.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'spool: error: ')),
    });
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Prints an error with its hint (or, with --output json, as a JSON envelope on stderr). */
export function reportError(err: unknown, runtime: Runtime, argv: readonly string[]): ExitCode {
  const json = /(^|\s)(-o|--output)(=|\s)json(\s|$)/.test(argv.join(' '));
  const e = err instanceof CliError ? err : new CliError(`unexpected error: ${(err as Error)?.stack ?? String(err)}`, ExitCode.ERROR, 'this is a bug in the CLI: please report it with the command you ran', 'CLI_BUG');
  if (json) {
    runtime.streams.stderr.write(JSON.stringify({ error: { code: e.code, message: e.message, ...(e.hint && { hint: e.hint }), ...(e.details && { details: e.details }) } }) + '\n');
  } else {
    runtime.streams.stderr.write(`spool: error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
  }
  return e.exitCode;
}

/** Parses `argv` (without node and script) and runs the command; resolves with the exit status. */
export async function runCli(argv: readonly string[], runtime: Runtime): Promise<number> {
  const program = buildProgram(runtime);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.OK;
      return ExitCode.USAGE; // commander has printed what was wrong

    }
    return reportError(err, runtime, argv);
  }
}
