/**
 * The one error type commands throw. It carries what to tell the user (`message`), what to do
 * about it (`hint`), the exit status, and, when the broker answered, the broker's error code and
 * details (printed as they are with `--output json`).
 */
import { ExitCode } from './exit-codes.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    /** The broker's stable error code (or the CLI's own, e.g. BROKER_UNREACHABLE). */
    readonly code: string = exitCode === ExitCode.USAGE ? 'USAGE' : 'ERROR',
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake on the command line or in the input: exit status 2. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, ExitCode.USAGE, hint, 'USAGE');
}
