// The command-line set-up the simulator programs share: strict option parsing, --help, usage
// errors that name the program (exit status 2), the meters' start of life, and one clean stop
// on SIGTERM or SIGINT.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: WithHelp<O>; strict: true }>>['values'];

/** A usage error: prints `program: message` to stderr and exits with status 2. */
export function usageFailure(program: string): (message: string) => never {
  return (message) => {
    console.error(`${program}: ${message}`);
    process.exit(2);
  };
}

/** Parses process.argv strictly; --help (-h) prints `help` and exits 0, a bad option fails with it. */
export function parseCommandLine<const O extends Options>(help: string, options: O, fail: (message: string) => never): Values<O> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    return fail(`${(e as Error).message}\n${help}`);
  }
  if (values.help) {
    console.log(help);
    process.exit(0);
  }
  return values as Values<O>;
}

/** --start-of-life ISO: when the meters' registers were 0 (default 2024-01-01T00:00:00Z), in ms. */
export function startOfLife(value: string | undefined, fail: (message: string) => never): number {
  const ms = Date.parse(value ?? '2024-01-01T00:00:00Z');
  if (Number.isNaN(ms)) fail(`--start-of-life is not a date: ${value}`);
  return ms;
}

/** On the first SIGTERM or SIGINT: says so, runs `close`, exits 0. */
export function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const stop = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: closing`);
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
