import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { provision } from '../../../cloud/provision.js';
import { loadOrCreateCloudKeys } from '../../../cloud/provisioning/cloud-keys.js';
import { provisionDcu } from '../../../cloud/provisioning/dcu-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'provision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('provisioning', () => {
  it('creates the cloud keys once and keeps them', async () => {
    const a = await loadOrCreateCloudKeys(join(dir, 'keys'));
    const b = await loadOrCreateCloudKeys(join(dir, 'keys'));
    expect(b.ca.cert).toBe(a.ca.cert);
    expect(Buffer.from(b.signing.publicKey).toString('hex')).toBe(Buffer.from(a.signing.publicKey).toString('hex'));
    expect(statSync(join(dir, 'keys', 'cloud-keys.json')).mode & 0o777).toBe(0o600);
  });

  it('issues a DCU client certificate signed by the CA, with the DCU id as CN and clientAuth', async () => {
    const keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
    const bundle = await provisionDcu(keys, 'dcu-0042', 'mqtts://broker:8883');
    const cert = new X509Certificate(bundle.tls.cert);
    const ca = new X509Certificate(keys.ca.cert);
    expect(cert.subject).toBe('CN=dcu-0042');
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(Object.keys(bundle.cloud.signingKeys)).toEqual([keys.signing.keyId]);
    await expect(provisionDcu(keys, 'bad id/with slash', 'mqtts://b')).rejects.toThrow(/letters, digits/);
  });

  it('writes the bundle files for an installer, private parts readable by the owner only', async () => {
    const lines: string[] = [];
    await provision(['dcu', 'dcu-7', '--broker', 'mqtts://broker:8883', '--out', join(dir, 'out'), '--keys', join(dir, 'keys')], (l) => lines.push(l));
    expect(lines[0]).toMatch(/identity of dcu-7 written/);
    expect(statSync(join(dir, 'out', 'dcu.key')).mode & 0o777).toBe(0o600);
    const identity = JSON.parse(readFileSync(join(dir, 'out', 'identity.json'), 'utf8'));
    expect(identity).toMatchObject({ dcuId: 'dcu-7', brokerUrl: 'mqtts://broker:8883', tls: { ca: 'ca.pem', cert: 'dcu.pem', key: 'dcu.key' } });
    await expect(provision(['dcu', 'dcu-8', '--out', join(dir, 'o2'), '--keys', join(dir, 'keys')], () => {})).rejects.toThrow(/--broker URL is required/);
  });
});
