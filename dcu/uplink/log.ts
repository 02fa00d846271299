// The logger the uplink writes to: pino's shape (object first, message second), so the
// runtime passes its pino logger (or a child of it) and tests pass nothing.
export interface UplinkLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const nothing = (): void => {};

export const silentLog: UplinkLog = { debug: nothing, info: nothing, warn: nothing, error: nothing };
