// Provisioning on the command line, for the utility's operators:
//   npx tsx cloud/provision.ts dcu DCU_ID --broker mqtts://broker:8883 --out DIR
//   npx tsx cloud/provision.ts broker HOST… --out DIR
// Keys of the cloud itself (CA, command signing, sealing) live in --keys (default ./data/keys)
// and are created on first use.
import { writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueServerCertificate } from './provisioning/certificates.js';
import { loadOrCreateCloudKeys } from './provisioning/cloud-keys.js';
import { provisionDcu, writeBundle } from './provisioning/dcu-identity.js';

const USAGE = `usage:
  provision dcu DCU_ID --broker URL --out DIR [--keys DIR]   identity bundle for one gateway
  provision broker HOST… --out DIR [--keys DIR]              the broker's TLS certificate and the CA`;

export async function provision(argv: string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { broker: { type: 'string' }, out: { type: 'string' }, keys: { type: 'string' } } });
  const [what, ...rest] = positionals;
  if (!values.out) throw new Error(`--out DIR is required\n${USAGE}`);
  const keys = await loadOrCreateCloudKeys(values.keys ?? join(process.cwd(), 'data', 'keys'));
  if (what === 'dcu') {
    if (rest.length !== 1) throw new Error(`give one DCU id\n${USAGE}`);
    if (!values.broker) throw new Error(`--broker URL is required (e.g. mqtts://broker.example:8883)\n${USAGE}`);
    const files = writeBundle(await provisionDcu(keys, rest[0], values.broker), values.out);
    out(`identity of ${rest[0]} written: ${files.join(', ')}\ncopy them to the gateway (e.g. /etc/dcu/) and point the DCU's uplink config at them`);
    return;
  }
  if (what === 'broker') {
    if (rest.length === 0) throw new Error(`give the broker's host names or addresses\n${USAGE}`);
    const pem = await issueServerCertificate(keys.ca, rest);
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'ca.pem'), keys.ca.cert);
    writeFileSync(join(values.out, 'broker.pem'), pem.cert);
    writeFileSync(join(values.out, 'broker.key'), pem.key, { mode: 0o600 });
    chmodSync(join(values.out, 'broker.key'), 0o600);
    out(`broker certificate for ${rest.join(', ')} written to ${values.out} (see deploy/mosquitto/mosquitto.conf)`);
    return;
  }
  throw new Error(USAGE);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  provision(process.argv.slice(2), (l) => console.log(l)).catch((e: Error) => {
    console.error(`provision: ${e.message}`);
    process.exit(2);
  });
}
