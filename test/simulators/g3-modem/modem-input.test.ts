// The modem takes untrusted bytes from the host: whatever a payload holds, it answers with
// well-formed ADP messages (or nothing) and never throws.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AdpCommand, type AdpMessage, encodeAdp } from '../../../shared/g3/adp.js';
import { dlmsPacket } from '../../../shared/g3/dlms.js';
import { G3Modem } from '../../../simulators/g3-modem/modem.js';
import { PlcNetwork } from '../../../simulators/g3-modem/plc-network.js';
import { Scheduler } from '../../../simulators/g3-modem/scheduler.js';
import { Counters } from '../../../simulators/g3-modem/stats.js';
import { plcNodes } from '../../../simulators/g3-modem/index.js';

const HOST_IDS = [AdpCommand.initialize, AdpCommand.dataRequest, AdpCommand.networkStartRequest, AdpCommand.setRequest, AdpCommand.getRequest,
  AdpCommand.routeDiscoveryRequest, AdpCommand.pathDiscoveryRequest, AdpCommand.kickDevice];

describe('G3 modem simulator: untrusted input', () => {
  const scheduler = new Scheduler(0.000001);
  const counters = new Counters();
  const out: AdpMessage[] = [];
  const network = new PlcNetwork(plcNodes({ count: 2, seed: 1 }), {
    seed: 1, capacityBps: 20_000, hopLatencyMs: { min: 300, max: 3_000 }, lossPerHop: 0.1, joinWindowMs: 1_000,
    alarmsPerNodePerHour: 0, startOfLife: Date.UTC(2024, 0, 1), repeatWindowMs: 10,
  }, scheduler, counters, { joinRequest: () => {}, joinComplete: () => {}, leave: () => {}, indication: () => {} });
  const modem = new G3Modem(network, scheduler, counters, 4, (m) => out.push(m));
  afterAll(() => scheduler.close());

  const payloads = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    // A known command id followed by anything: the decoder's edge cases.
    fc.tuple(fc.constantFrom(...HOST_IDS), fc.uint8Array({ maxLength: 40 })).map(([id, rest]) => Uint8Array.of(id, ...rest)),
    // Data requests whose packet is a real DLMS packet with random damage.
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 30 }), fc.nat(200), fc.integer({ min: 0, max: 255 })).map(([apdu, at, b]) => {
      const packet = dlmsPacket({ panId: 0x781d, from: 0, to: 1, sourceWPort: 16, destinationWPort: 1, apdu });
      packet[at % packet.length] = b;
      return encodeAdp({ type: 'data-request', nsduHandle: b, discoverRoute: false, qualityOfService: 0, packet });
    }),
  );

  it('answers any payload with encodable ADP messages, in any state, and never throws', () => {
    modem.receive(encodeAdp({ type: 'initialize', band: 0, isCoordinator: true }));
    fc.assert(
      fc.property(fc.array(payloads, { maxLength: 12 }), (batch) => {
        out.length = 0;
        for (const p of batch) expect(() => modem.receive(p)).not.toThrow();
        for (const m of out) expect(() => encodeAdp(m)).not.toThrow();
        expect(modem.outstanding).toBeGreaterThanOrEqual(0);
        expect(modem.outstanding).toBeLessThanOrEqual(4);
      }),
      { numRuns: 300 },
    );
  });
});
