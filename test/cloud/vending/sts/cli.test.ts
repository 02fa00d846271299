// The command-line tool, run as a child process the way a person runs it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../../../cloud/vending/sts/cli.js';

const CLI = new URL('../../../../cloud/vending/sts/cli.ts', import.meta.url).pathname;

function sts(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same entry point in-process, for the many quick argument checks. */
function stsInProcess(...args: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = main(args, (s) => (stdout += `${s}\n`), (s) => (stderr += `${s}\n`));
  return { status, stdout, stderr };
}

const METER_A = ['--vending-key', 'abababababababab', '--pan', '600727000000000009', '--kt', '2', '--sgc', '123456', '--ti', '01', '--krn', '1'];

describe('sts CLI', () => {
  it('generates a token, then decodes it for the same meter', () => {
    const gen = sts('generate', ...METER_A, '--class', '0', '--subclass', '0', '--amount', '0.1', '--issued', '2004-03-01T13:55Z', '--rnd', '5', '--json');
    expect(gen.stderr).toBe('');
    expect(gen.status).toBe(0);
    const out = JSON.parse(gen.stdout);
    expect(out.tokens[0]).toMatchObject({ digits: '23716100501183194197', tid: 5871715, amount: 0.1, unit: 'kWh', block: '0x5599863000119e6' });
    expect(out.key.decoderKey).toBe('e653341f9d5bf36f');

    const dec = sts('decode', out.tokens[0].digits, ...METER_A);
    expect(dec.status).toBe(0);
    expect(dec.stdout).toContain('0 TransferElectricityCredit');
    expect(dec.stdout).toContain('0.1 kWh (1 transfer unit)');
    expect(dec.stdout).toContain('5871715 = 2004-03-01T13:55Z (base date 1993)');
    expect(dec.stdout).toContain('CRC OK');
  });

  it('prints readable text by default', () => {
    const gen = sts('generate', '--decoder-key', 'e653341f9d5bf36f', '--class', '2', '--subclass', '0', '--value', '1000', '--issued', '2004-03-28T09:01', '--rnd', '5');
    expect(gen.status).toBe(0);
    expect(gen.stdout).toMatch(/^Token +5090 1894 2098 6026 3092$/m);
    expect(gen.stdout).toMatch(/^Value +1000 W$/m);
  });

  it('reports a token for another meter as a CRC error with exit status 1', () => {
    const dec = sts('decode', '2371 6100 5011 8319 4197', '--vending-key', 'abababababababab', '--pan', '000001000000000082', '--kt', '2', '--sgc', '123456', '--ti', '01', '--krn', '1');
    expect(dec.status).toBe(1);
    expect(dec.stdout).toMatch(/Verdict +CRC error/);
  });

  it('generates the key-change pair', () => {
    const gen = sts('generate', ...METER_A, '--key-change', '--new-ti', '02', '--json');
    expect(gen.status).toBe(0);
    const out = JSON.parse(gen.stdout);
    expect(out.tokens.map((t: { digits: string }) => t.digits)).toEqual(['51638423060042734509', '15361891762113502242']);
    expect(out.newDecoderKey).toBe('060b8643c59a27f1');
  });

  it('names the bad argument', () => {
    const bad = stsInProcess('generate', '--vending-key', 'abababababababab', '--iin', '600727', '--drn', '12345678901', '--kt', '2', '--sgc', '123456', '--ti', '01', '--krn', '1', '--class', '0', '--amount', '1');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: --drn: check digit of DRN 12345678901 should be 3/);
    expect(stsInProcess('decode', '1234', '--decoder-key', 'e653341f9d5bf36f').stderr).toMatch(/^error: <token>: must be 20 decimal digits/);
    expect(stsInProcess('generate', '--decoder-key', 'e653341f9d5bf36f', '--class', '0', '--amount', 'lots').stderr).toMatch(/^error: --amount: must be a decimal number/);
    expect(stsInProcess('generate', '--decoder-key', 'e653', '--class', '0', '--amount', '1').stderr).toMatch(/^error: --decoder-key: must be 64 bits/);
    expect(stsInProcess('generate', '--frobnicate')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^error: Unknown option '--frobnicate'/) });
    expect(stsInProcess('generate', '--decoder-key', 'e653341f9d5bf36f', '--class', '0', '--amount', '1', '--issued', 'yesterday').stderr).toMatch(/^error: --issued: not an ISO 8601 time/);
    expect(stsInProcess('generate', '--decoder-key', 'e653341f9d5bf36f', '--class', '0', '--subclass', '0', '--amount', '1', '--issued', '2030-01-01T00:00Z').stderr).toMatch(/^error: --issued: .* outside the TID range of base date 1993/);
    expect(stsInProcess('generate', '--vending-key', 'abababababababab', '--pan', '600727000000000009', '--class', '0', '--amount', '1').stderr).toMatch(/^error: --kt is required/);
  });

  it('has help with examples', () => {
    const help = sts('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('sts decode');
  });
});
