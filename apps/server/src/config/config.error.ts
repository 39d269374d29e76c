/**
 * A configuration the broker refuses to start with. `problems` holds one entry per bad
 * variable, each naming the variable, the value given and what is expected; `message` joins
 * them on one line, which is what the operator sees (no stack trace) before the process exits 1.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}
