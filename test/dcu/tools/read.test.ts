// The on-site read tool against simulated meters over HDLC/TCP and the wrapper (TCP, UDP).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseObis } from '../../../shared/dlms/obis.js';
import { parseItem, parseReadArgs } from '../../../dcu/tools/read-args.js';
import { runRead } from '../../../dcu/tools/read.js';
import { TcpHdlcServer } from '../../../simulators/meter/transport/tcp-hdlc.js';
import { WrapperTcpServer } from '../../../simulators/meter/transport/wrapper-tcp.js';
import { WrapperUdpServer } from '../../../simulators/meter/transport/wrapper-udp.js';
import { onLine, readBracketed, realMeters } from '../../simulators/transport/real-meters.js';

const meters = realMeters(2);
let tcp: TcpHdlcServer;
let wtcp: WrapperTcpServer;
let wudp: WrapperUdpServer;
beforeAll(async () => {
  tcp = await TcpHdlcServer.listen({ port: 0, meters: onLine(meters) });
  wtcp = await WrapperTcpServer.listen({ port: 0, meter: { server: meters[1].server } });
  wudp = await WrapperUdpServer.listen({ port: 0, meter: { server: meters[1].server } });
});
afterAll(async () => {
  await tcp?.close();
  await wtcp?.close();
  await wudp?.close();
});

const run = async (argv: string[]) => {
  const lines: string[] = [];
  const args = parseReadArgs(argv);
  if (args === 'help') throw new Error('help');
  const results = await runRead(args, (l) => lines.push(l));
  return { lines, results };
};

describe('read tool', () => {
  it('reads a register (scaled, with unit), the clock and a profile by entry over HDLC/TCP with LLS', async () => {
    const attribute = { classId: 3, instanceId: parseObis('1.0.1.8.0.255'), attributeId: 2 };
    let lines: string[] = [];
    await readBracketed(meters[1], attribute, 17, async () => {
      lines = (await run(['--tcp', `127.0.0.1:${tcp.port}`, '--physical', '18', '--client', '17', '--auth', 'low', '--password', '12345678', '1.0.1.8.0.255', '0.0.1.0.0.255', '--profile', '1.0.99.1.0.255', '--entries', '1-3'])).lines;
      const printed = lines.map((l) => /^1\.0\.1\.8\.0\.255 {2}(\d+) Wh /.exec(l)).find(Boolean);
      expect(printed, lines.join('\n')).toBeTruthy();
      return { type: 'double-long-unsigned', value: Number(printed![1]) };
    });
    expect(lines.some((l) => /^0\.0\.1\.0\.0\.255:2 \(class 8\)  20\d\d-/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('1.0.99.1.0.255 profile: 3 row(s)'))).toBe(true);
  });

  it('prints JSON and finds a class in the object list, over the wrapper on TCP and UDP with HLS-GMAC', async () => {
    // Both links reach the same meter, which refuses a repeated invocation counter: the
    // second read starts where the first left off, as a DCU with a persisted counter does.
    for (const [link, counter] of [['--wrapper-tcp', '1'], ['--wrapper-udp', '100']]) {
      const port = link === '--wrapper-tcp' ? wtcp.port : wudp.port;
      const { results } = await run([link, `127.0.0.1:${port}`, '--client', '1', '--auth', 'high', '--ek', '000102030405060708090a0b0c0d0e0f', '--ak', 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf', '--system-title', '4443550000000002', '--invocation-counter', counter, '0.0.96.3.10.255:3', '1.0.2.8.0.255', '--json']);
      expect(results[0]).toMatchObject({ obis: '0.0.96.3.10.255', classId: 70, attribute: 3, value: { type: 'enum' } });
      expect(results[1]).toMatchObject({ obis: '1.0.2.8.0.255', classId: 3, unit: 'Wh' });
    }
  });

  it('says what is wrong with bad arguments and with a wrong password', async () => {
    expect(() => parseReadArgs(['--tcp', 'x', '--serial', 'y', '1.0.1.8.0.255'])).toThrow(/exactly one of/);
    expect(() => parseReadArgs(['--tcp', 'x', '--auth', 'high', '1.0.1.8.0.255'])).toThrow(/--ek is required/);
    expect(() => parseItem('1.0.1.8.0')).not.toThrow();
    expect(() => parseItem('x:y:z:w')).toThrow(/CLASS/);
    await expect(run(['--tcp', `127.0.0.1:${tcp.port}`, '--physical', '17', '--client', '17', '--auth', 'low', '--password', 'bad', '1.0.1.8.0.255'])).rejects.toThrow(/meter at 17: association rejected by the meter: authentication-failure — wrong password/);
  });

  it('runs as a command with --help and exits 2 on a bad argument', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', 'dcu/tools/read.ts', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Read any object of any meter');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'dcu/tools/read.ts', '--auth', 'weird', '--tcp', 'h', '1.0.1.8.0.255'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--auth weird');
  });
});
