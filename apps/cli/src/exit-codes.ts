/**
 * The `spool` command's exit statuses. Scripts branch on these, so they are part of the CLI's
 * interface (docs/cli.md lists them): never renumber one, only add.
 */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** The broker refused or failed the request for a reason not listed below. */
  ERROR: 1,
  /** Bad flag, argument, input line or config value: fix the command line. */
  USAGE: 2,
  /** The topic, partition or group does not exist. */
  NOT_FOUND: 3,
  /** The request conflicts with the broker's state: topic exists, group not empty, policy. */
  CONFLICT: 4,
  /** Authentication failed or the credentials are not allowed to do this. */
  AUTH: 5,
  /** The broker could not be reached, timed out or is not available (retry later). */
  UNAVAILABLE: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
