// `dcu run --config FILE`: the gateway program. Validates the configuration (a wrong value
// stops the start with the field named), opens the runtime, serves the local API, and on
// SIGTERM/SIGINT finishes the exchange in flight and closes the database.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { DcuRuntime } from './runtime.js';
import { startApi } from './api/server.js';

const USAGE = `usage: dcu run --config FILE

  Runs the data concentrator: discovers meters on the configured RS485 buses, reads them
  on the schedule kept in its database, keeps their clocks, takes commands on the local API.
  See dcu/config.ts for every setting and its default.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals[0] !== 'run') {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!values.config) {
    console.error(`dcu: --config FILE is required\n\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(values.config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`dcu: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const runtime = await DcuRuntime.open(config);
  const api = await startApi({ runtime });
  runtime.start();
  runtime.log.info({ api: `http://${config.api.host}:${api.port}` }, 'DCU running');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      runtime.log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await api.close();
  await runtime.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`dcu: ${e.message}`);
    process.exit(1);
  },
);
