// The `g3` section of the DCU configuration: defaults, and errors that name the field.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../../dcu/config.js';

const base = {
  dcuId: 'dcu-1',
  database: '/tmp/x.db',
  systemTitle: '4443550000000001',
  profiles: { reader: { clientSap: 17, authentication: 'low', password: 'x' } },
};

describe('G3 network configuration', () => {
  it('fills in the defaults: 230400 baud, CENELEC-A, adaptive in-flight 1..32 from 4', () => {
    const c = parseConfig({ ...base, g3: [{ name: 'plc-1', path: '/dev/ttyS1', panId: 0x781d, profile: 'reader' }] });
    expect(c.g3[0]).toMatchObject({ baud: 230400, band: 'cenelec-a', logicalDevice: 1, maxInFlight: { min: 1, max: 128, initial: 4 }, maxSessions: 192, maxRetries: 3 });
    expect(c.buses).toEqual([]);
  });

  it('names what is wrong: baud, profile, bounds, a name used twice', () => {
    const bad = () =>
      parseConfig({
        ...base,
        buses: [{ name: 'plc-1', path: '/dev/ttyS0', profile: 'reader' }],
        g3: [{ name: 'plc-1', path: '/dev/ttyS1', panId: 1, profile: 'nobody', baud: 9600, maxInFlight: { min: 8, max: 4, initial: 4 } }],
      });
    expect(bad).toThrow(ConfigError);
    const message = (() => {
      try {
        bad();
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/g3\.0\.baud: expected 115200, 230400 or 460800, got 9600/);
    expect(message).toMatch(/g3\.0\.profile: no security profile "nobody"/);
    expect(message).toMatch(/g3\.0\.maxInFlight\.min: must not be above maxInFlight\.max/);
    expect(message).toMatch(/g3\.0\.name: link name "plc-1" is used twice/);
  });
});
