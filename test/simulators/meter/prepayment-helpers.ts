// A simulated prepayment meter behind the IEC 62056-47 wrapper over TCP, its clock in the
// test's hands, and DCU sessions (dcu/session) talking to it as the DCU does: the token
// entered with IC 115 enter, then status, credit and relay read back over DLMS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { DlmsSession } from '../../../dcu/session/session.js';
import { WrapperTcpTransport } from '../../../dcu/links/wrapper-transport.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { Obis, parseObis } from '../../../shared/dlms/obis.js';
import { generateToken } from '../../../shared/sts/index.js';
import type { SimulatedMeterConfig } from '../../../simulators/meter/meter.js';
import { type RunningMeter, createMeterSet } from '../../../simulators/meter/transport/meter-set.js';
import { WrapperTcpServer } from '../../../simulators/meter/transport/wrapper-tcp.js';
import { clientSettings } from '../transport/fake-meter.js';

export const TOKEN_GATEWAY = parseObis('0.0.19.40.0.255');
export const CREDIT = parseObis('0.0.19.10.0.255');
export const ACCOUNT = parseObis('0.0.19.0.0.255');
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** The meters' start of life: 2026-01-05T00:00Z, a Monday. */
export const LIFE = Date.UTC(2026, 0, 5);

export interface PrepaidBench {
  running: RunningMeter;
  /** The real time the meter sees; tests move it. */
  clock: { now: number };
  stateDir: string;
  /** A connected session of this client SAP (1 management, 17 reader, 16 public). */
  session(sap: number): Promise<DlmsSession>;
  /** Closes sessions and the server; keeps the state directory (restart = openPrepaid again). */
  stop(): Promise<void>;
  /** stop(), and removes the state directory. */
  close(): Promise<void>;
}

export async function openPrepaid(config: Partial<SimulatedMeterConfig> = {}, stateDir = mkdtempSync(join(tmpdir(), 'prepaid-')), now = LIFE + 10 * DAY): Promise<PrepaidBench> {
  const [running] = createMeterSet({ count: 1, firstAddress: 17, seed: 7, firstSerial: 70000001, startOfLife: LIFE, stateDir, configure: () => config });
  const clock = { now };
  const server = await WrapperTcpServer.listen({ port: 0, meter: { server: running.server, label: running.serial }, clock: () => clock.now });
  const sessions: DlmsSession[] = [];
  const stop = async () => {
    for (const s of sessions) await s.close();
    await server.close();
    running.save();
  };
  return {
    running,
    clock,
    stateDir,
    async session(sap) {
      const s = new DlmsSession({
        meter: running.serial,
        transport: new WrapperTcpTransport({ host: '127.0.0.1', port: server.port, client: sap }),
        association: clientSettings(sap),
      });
      sessions.push(s);
      await s.connect();
      return s;
    },
    stop,
    async close() {
      await stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** openPrepaid for a test file: every bench it opens is closed after the test that opened it. */
export function prepaidBenches(): (...args: Parameters<typeof openPrepaid>) => Promise<PrepaidBench> {
  const benches: PrepaidBench[] = [];
  afterEach(async () => {
    for (const b of benches.splice(0)) await b.close();
  });
  return async (...args) => {
    const b = await openPrepaid(...args);
    benches.push(b);
    return b;
  };
}

/** A class 0 electricity credit token for this key, issued at `issuedAt` (base date 2014). */
export function creditToken(decoderKey: string, kWh: number, issuedAt: number, algorithm: 'EA07' | 'EA11' = 'EA07'): string {
  return generateToken({ class: 0, subclass: 0, decoderKey, algorithm, amount: kWh, issuedAt, baseDate: 2014, rnd: 3 }).digits;
}

export async function enter(s: DlmsSession, digits: string): Promise<void> {
  await s.action(115, TOKEN_GATEWAY, 1, { type: 'octet-string', value: new TextEncoder().encode(digits) });
}

export interface GatewayReading {
  status: number;
  /** data_value as a number (the STS result code). */
  stsCode: number;
  description: string[];
  token: string;
}

export async function gateway(s: DlmsSession): Promise<GatewayReading> {
  const status = await s.get(115, TOKEN_GATEWAY, 6);
  const description = await s.get(115, TOKEN_GATEWAY, 4);
  const token = await s.get(115, TOKEN_GATEWAY, 2);
  if (status.type !== 'structure' || status.value[0].type !== 'enum' || status.value[1].type !== 'bit-string') throw new Error('token_status is not structure{enum, bit-string}');
  if (description.type !== 'array' || token.type !== 'octet-string') throw new Error('token_description / token of the wrong type');
  const bits = status.value[1].value;
  return {
    status: status.value[0].value,
    stsCode: bits.length === 8 ? bits.bytes[0] : -1,
    description: description.value.map((d) => (d.type === 'octet-string' ? new TextDecoder().decode(d.value) : `?${d.type}`)),
    token: new TextDecoder().decode(token.value),
  };
}

/** Enters a token and reads the token gateway back, as the DCU does. */
export async function enterAndRead(s: DlmsSession, digits: string): Promise<GatewayReading> {
  await enter(s, digits);
  return gateway(s);
}

function int(d: CosemData): number {
  if (!('value' in d) || typeof d.value !== 'number') throw new Error(`not a number: ${d.type}`);
  return d.value;
}

/** IC 112 current_credit_amount, Wh. */
export async function credit(s: DlmsSession): Promise<number> {
  const d = await s.get(112, CREDIT, 2);
  if (d.type !== 'double-long') throw new Error(`current_credit_amount is ${d.type}, not double-long`);
  return d.value;
}

/** IC 70 output_state and control_state. */
export async function relay(s: DlmsSession): Promise<{ output: boolean; control: number }> {
  const output = await s.get(70, Obis.disconnectControl, 2);
  const control = await s.get(70, Obis.disconnectControl, 3);
  if (output.type !== 'boolean') throw new Error('output_state is not boolean');
  return { output: output.value, control: int(control) };
}
