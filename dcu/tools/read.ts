// The on-site read tool: read any object of any meter by hand, over any link, with any
// association. Prints readable values, or JSON with --json. Exit code 1 on failure, with a
// message that says what went wrong and where.
import { randomBytes } from 'node:crypto';
import type { ClientAssociationConfig } from '../../shared/dlms/association/settings.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { Obis, obisFromBytes } from '../../shared/dlms/obis.js';
import { ReplayGuard, SendingCounter } from '../../shared/dlms/security/invocation-counter.js';
import { openTransport } from '../links/link-spec.js';
import { readProfile, readRegister } from '../session/readers.js';
import { DlmsSession } from '../session/session.js';
import { formatData, toJson } from './format.js';
import { type ReadArgs, type ReadItem, USAGE, parseReadArgs } from './read-args.js';

/** Classes of the objects every meter has, so most reads need no object list. */
const KNOWN_CLASS: Record<string, number> = {
  [Obis.clock]: 8, [Obis.logicalDeviceName]: 1, [Obis.serialNumber]: 1, [Obis.associationLn]: 15,
  [Obis.loadProfile]: 7, [Obis.dailyBilling]: 7, [Obis.standardEventLog]: 7, [Obis.disconnectControl]: 70,
};

export async function runRead(args: ReadArgs, out: (line: string) => void): Promise<unknown[]> {
  const association: ClientAssociationConfig = {
    authentication: args.authentication,
    ...(args.password && { password: args.password }),
    ...(args.keys && { security: { systemTitle: args.keys.systemTitle, blockCipherKey: args.keys.blockCipherKey, authenticationKey: args.keys.authenticationKey, counter: new SendingCounter(args.keys.invocationCounter), guard: new ReplayGuard() } }),
    challenge: () => new Uint8Array(randomBytes(16)),
  };
  const proposal = args.maxInfo || args.window ? { maxInfoTx: args.maxInfo ?? 128, maxInfoRx: args.maxInfo ?? 128, windowTx: args.window ?? 1, windowRx: args.window ?? 1 } : undefined;
  const transport = await openTransport(args.link, { client: args.client, logicalDevice: args.logicalDevice, physical: args.physical, responseTimeout: args.timeout, ...(proposal && { proposal }) });
  const meter = args.physical === null ? transport.description : `at ${args.physical}`;
  const session = new DlmsSession({ meter, transport, association, reconnects: 1 });
  const results: unknown[] = [];
  try {
    const negotiated = await session.connect();
    if (!args.json) out(`associated with ${transport.description}: server max PDU ${negotiated.serverMaxReceivePduSize}`);
    let classes: Map<string, number> | null = null;
    for (const item of args.items) {
      let classId = item.classId ?? KNOWN_CLASS[item.obis] ?? null;
      if (classId === null) {
        classes ??= await objectClasses(session);
        classId = classes.get(item.obis) ?? 3;
      }
      results.push(await readItem(session, { ...item, classId }, args.json, out));
    }
    if (args.profile) {
      const p = args.profile;
      const selection = p.entries ? { kind: 'entries' as const, from: p.entries[0], to: p.entries[1] } : p.from !== undefined ? { kind: 'range' as const, from: p.from, to: p.to! } : { kind: 'all' as const };
      const profile = await readProfile(session, p.obis, selection);
      results.push({ obis: p.obis, columns: profile.columns, rows: profile.rows });
      if (!args.json) {
        out(`${p.obis} profile: ${profile.rows.length} row(s); columns: ${profile.columns.map((c) => `${c.logicalName}:${c.attributeIndex}`).join(' | ')}`);
        for (const row of profile.rows) out(`  ${row.map((v) => formatData(v).split('\n')[0]).join(' | ')}`);
      }
    }
  } finally {
    await session.close();
    await transport.dispose();
  }
  if (args.json) out(toJson(results));
  return results;
}

async function readItem(session: DlmsSession, item: ReadItem & { classId: number }, json: boolean, out: (line: string) => void): Promise<unknown> {
  if ((item.classId === 3 || item.classId === 4) && item.attribute === 2) {
    const r = await readRegister(session, item.obis, item.classId);
    if (!json) out(`${item.obis}  ${r.value ?? formatData(r.raw)} ${r.unit}   (raw ${formatData(r.raw)}, scaler ${r.scaler})`);
    return { obis: item.obis, classId: item.classId, attribute: 2, value: r.value, unit: r.unit, scaler: r.scaler, raw: r.raw };
  }
  const value = await session.get(item.classId, item.obis, item.attribute);
  if (!json) out(`${item.obis}:${item.attribute} (class ${item.classId})  ${formatData(value)}`);
  return { obis: item.obis, classId: item.classId, attribute: item.attribute, value };
}

/** Class ids from the association's object list (attribute 2 of 0.0.40.0.0.255). */
async function objectClasses(session: DlmsSession): Promise<Map<string, number>> {
  const list = await session.get(15, Obis.associationLn, 2);
  const map = new Map<string, number>();
  if (list.type !== 'array') return map;
  for (const entry of list.value) {
    const [cls, , ln] = (entry as Extract<CosemData, { type: 'structure' }>).value ?? [];
    if (cls?.type === 'long-unsigned' && ln?.type === 'octet-string' && ln.value.length === 6) map.set(obisFromBytes(ln.value), cls.value);
  }
  return map;
}

async function main(): Promise<void> {
  let args: ReadArgs | 'help';
  try {
    args = parseReadArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`read: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args === 'help') {
    console.log(USAGE);
    return;
  }
  try {
    await runRead(args, (line) => console.log(line));
  } catch (e) {
    console.error(`read failed: ${(e as Error).name}: ${(e as Error).message}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
