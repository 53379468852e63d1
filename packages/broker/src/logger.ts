/**
 * The logging the broker needs: structured (an object of fields, then a message) and scoped with `child`.
 * pino's logger satisfies it; the broker does not depend on pino, the CLI chooses it.
 */
export interface Logger {
  error(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  debug(fields: object, message?: string): void;
  child(bindings: object): Logger;
}

/** A logger that drops everything, for tests that do not read the log. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
