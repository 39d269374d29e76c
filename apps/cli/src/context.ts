/**
 * What a command's action works with: the resolved connection, the broker API over the SDK, and
 * the output. Built lazily from the global options, so `spool completion` and `--help` never
 * read the profile file or need a broker.
 */
import type { Command } from 'commander';
import { BrokerApi } from './api/broker-api.js';
import { resolveConnection, type Connection, type GlobalOptions } from './connection/connection.js';
import { Output, parseOutputFormat, type Streams } from './output/output.js';

export interface Runtime {
  readonly streams: Streams;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly. */
  readonly interrupted: AbortSignal;
  /** stdin, for `spool produce` without --file. */
  readonly stdin: NodeJS.ReadableStream;
}

export class Context {
  private cachedConnection: Connection | undefined;
  private cachedApi: BrokerApi | undefined;
  readonly output: Output;

  constructor(
    readonly runtime: Runtime,
    readonly globals: GlobalOptions & { output?: string },
  ) {
    this.output = new Output(parseOutputFormat(globals.output ?? 'table'), runtime.streams);
  }

  /** The root command's options only: a subcommand's own option of the same name (topic create -c) never shadows a global one. */
  static of(command: Command, runtime: Runtime): Context {
    let root = command;
    while (root.parent !== null) root = root.parent;
    return new Context(runtime, root.opts());
  }

  get connection(): Connection {
    this.cachedConnection ??= resolveConnection(this.globals, this.runtime.env, (line) => this.output.warn(line));
    return this.cachedConnection;
  }

  get api(): BrokerApi {
    this.cachedApi ??= new BrokerApi(this.connection);
    return this.cachedApi;
  }
}
