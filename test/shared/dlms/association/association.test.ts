import { describe, expect, it } from 'vitest';
import { AccessError, SecurityError } from '../../../../shared/errors.js';
import type { CosemData } from '../../../../shared/dlms/data.js';
import { parseObis } from '../../../../shared/dlms/obis.js';
import { ReplayGuard, SendingCounter } from '../../../../shared/dlms/security/invocation-counter.js';
import type { CosemServerObjects, ServerPolicy } from '../../../../shared/dlms/association/server-objects.js';
import type { ServerAssociationConfig } from '../../../../shared/dlms/association/server.js';
import type { ClientAssociationConfig } from '../../../../shared/dlms/association/settings.js';
import { Stack } from './stack.js';
import { ServiceError, decodeApdu } from '../../../../shared/dlms/apdu/index.js';

const BIG = parseObis('1.0.99.1.0.255');
const REG = parseObis('1.0.1.8.0.255');
const big: CosemData = { type: 'array', value: Array.from({ length: 2000 }, (_, i) => ({ type: 'structure', value: [{ type: 'double-long-unsigned', value: i * 7 }, { type: 'long', value: 0 - i }] })) };
const key = (b: number) => Uint8Array.from({ length: 16 }, (_, i) => b + i);
const ek = key(0x00);
const ak = key(0xd0);
const serverTitle = Uint8Array.from([0x53, 0x49, 0x4d, 0, 0, 0, 0, 1]);
const clientTitle = Uint8Array.from([0x44, 0x43, 0x55, 0, 0, 0, 0, 9]);
const challenge = (seed: number) => () => Uint8Array.from({ length: 16 }, (_, i) => (seed * 31 + i * 7) & 0xff);

/** A tiny object model: one big array, one writable register, one method that echoes. */
function objects() {
  const state = { register: { type: 'double-long-unsigned', value: 5 } as CosemData, lastWritten: null as CosemData | null };
  const model: CosemServerObjects = {
    get: (a) => (a.instanceId === BIG ? { data: big } : a.instanceId === REG ? { data: state.register } : { error: 4 }),
    set: (a, value) => {
      if (a.instanceId !== REG && a.instanceId !== BIG) return 4;
      state.lastWritten = value;
      if (a.instanceId === REG) state.register = value;
      return 0;
    },
    action: (m, p) => (m.methodId === 1 ? { result: 0, returned: p ?? { type: 'null-data' } } : { result: 3 }),
  };
  return { model, state };
}

const policies: Record<number, ServerPolicy> = {
  16: { authentication: 'none' },
  17: { authentication: 'low', password: new TextEncoder().encode('Gurux') },
  1: { authentication: 'high-gmac', keys: { blockCipherKey: ek, authenticationKey: ak } },
};

function serverConfig(model: CosemServerObjects): ServerAssociationConfig {
  return { objects: model, policy: (sap) => policies[sap], systemTitle: serverTitle, counter: new SendingCounter(100), guard: new ReplayGuard(), challenge: challenge(2), maxReceivePduSize: 512 };
}

function clientConfig(sap: number, overrides: Partial<ClientAssociationConfig> = {}): ClientAssociationConfig {
  const base: ClientAssociationConfig =
    sap === 16 ? { authentication: 'none', challenge: challenge(1) }
    : sap === 17 ? { authentication: 'low', password: new TextEncoder().encode('Gurux'), challenge: challenge(1) }
    : { authentication: 'high-gmac', security: { systemTitle: clientTitle, blockCipherKey: ek, authenticationKey: ak, counter: new SendingCounter(1), guard: new ReplayGuard() }, challenge: challenge(1) };
  return { maxReceivePduSize: 256, ...base, ...overrides };
}

function open(sap: number, opts: { window?: number; client?: Partial<ClientAssociationConfig> } = {}) {
  const { model, state } = objects();
  const stack = new Stack({ clientSap: sap, client: clientConfig(sap, opts.client), server: serverConfig(model), window: opts.window ?? 1, maxInfo: 128 });
  stack.connect();
  return { stack, state };
}

const attr = (instanceId: typeof BIG, attributeId = 2) => ({ classId: 7, instanceId, attributeId });

describe('associations back to back over HDLC', () => {
  for (const sap of [16, 17, 1]) {
    for (const window of [1, 7]) {
      it(`client ${sap}: associates and GETs a 2,000-element array through datablocks (max info 128, window ${window})`, () => {
        const { stack } = open(sap, { window });
        const assoc = stack.run(stack.association.associate());
        expect(assoc).toMatchObject({ kind: 'done', result: { kind: 'associated' } });
        const got = stack.run(stack.association.get(attr(BIG)));
        expect(got).toEqual({ kind: 'done', result: { kind: 'data', value: big } });
        expect(stack.apdusSent).toBeGreaterThan(20); // GET-Request-Next per block
        expect(stack.run(stack.association.release())).toEqual({ kind: 'done', result: { kind: 'released' } });
      });
    }
  }

  it('SETs a value larger than the server PDU with datablocks, and runs an ACTION with long parameters and return', () => {
    const { stack, state } = open(1);
    stack.run(stack.association.associate());
    const before = stack.apdusSent;
    expect(stack.run(stack.association.set(attr(BIG), big))).toEqual({ kind: 'done', result: { kind: 'set' } });
    expect(stack.apdusSent - before).toBeGreaterThan(10);
    expect(state.lastWritten).toEqual(big);
    expect(stack.run(stack.association.set(attr(REG), { type: 'double-long-unsigned', value: 42 }))).toEqual({ kind: 'done', result: { kind: 'set' } });
    expect(stack.run(stack.association.get(attr(REG)))).toEqual({ kind: 'done', result: { kind: 'data', value: { type: 'double-long-unsigned', value: 42 } } });
    const echoed = stack.run(stack.association.action({ classId: 1, instanceId: REG, methodId: 1 }, big));
    expect(echoed).toEqual({ kind: 'done', result: { kind: 'action', returned: big } });
    const refused = stack.run(stack.association.action({ classId: 1, instanceId: REG, methodId: 2 }));
    expect(refused.kind === 'fail' && refused.error).toBeInstanceOf(AccessError);
  });

  for (const sap of [16, 1]) {
    it(`client ${sap}: GETs a list in one request, each attribute with its own result, and a long list answer through datablocks`, () => {
      const { stack } = open(sap);
      stack.run(stack.association.associate());
      const missing = attr(parseObis('0.0.1.2.3.255'));
      const before = stack.apdusSent;
      const short = stack.run(stack.association.getList([{ attribute: attr(REG) }, { attribute: missing }, { attribute: attr(REG, 3) }]));
      expect(stack.apdusSent - before).toBe(1);
      expect(short).toEqual({
        kind: 'done',
        result: { kind: 'data-list', results: [{ kind: 'data', data: { type: 'double-long-unsigned', value: 5 } }, { kind: 'data-access-result', dataAccessResult: 4 }, { kind: 'data', data: { type: 'double-long-unsigned', value: 5 } }] },
      });
      // Larger than the client's max receive PDU (256): the server sends the result list in blocks.
      const long = stack.run(stack.association.getList([{ attribute: attr(REG) }, { attribute: attr(BIG) }]));
      expect(stack.apdusSent - before).toBeGreaterThan(10);
      expect(long).toEqual({ kind: 'done', result: { kind: 'data-list', results: [{ kind: 'data', data: { type: 'double-long-unsigned', value: 5 } }, { kind: 'data', data: big }] } });
      // The association goes on as before.
      expect(stack.run(stack.association.get(attr(REG)))).toEqual({ kind: 'done', result: { kind: 'data', value: { type: 'double-long-unsigned', value: 5 } } });
    });
  }

  it('reports a refused GET with its data-access-result', () => {
    const { stack } = open(16);
    stack.run(stack.association.associate());
    const step = stack.run(stack.association.get(attr(parseObis('0.0.1.2.3.255'))));
    expect(step.kind).toBe('fail');
    expect(step.kind === 'fail' && step.error).toBeInstanceOf(AccessError);
    expect(step.kind === 'fail' && step.error.message).toMatch(/object-undefined/);
  });

  it('rejects a wrong LLS password with the AARE diagnostic', () => {
    const { stack } = open(17, { client: { password: new TextEncoder().encode('wrong') } });
    const step = stack.run(stack.association.associate());
    expect(step.kind).toBe('fail');
    const error = (step as unknown as { error: SecurityError }).error;
    expect(error).toBeInstanceOf(SecurityError);
    expect(error.reason).toBe('wrong-password');
    expect(error.message).toMatch(/authentication-failure/);
  });

  it('rejects a wrong HLS key as an authentication failure', () => {
    const { stack } = open(1, { client: { security: { systemTitle: clientTitle, blockCipherKey: ek, authenticationKey: key(0x70), counter: new SendingCounter(1), guard: new ReplayGuard() } } });
    const step = stack.run(stack.association.associate());
    expect(step.kind).toBe('fail');
    expect((step as unknown as { error: SecurityError }).error).toBeInstanceOf(SecurityError);
    expect((step as unknown as { error: SecurityError }).error.reason).toBe('authentication-failed');
  });

  it('refuses a replayed invocation counter, in both directions', () => {
    const { stack } = open(1);
    expect(stack.run(stack.association.associate()).kind).toBe('done');
    // An attacker on the line records a ciphered request and plays it again.
    const request = stack.association.get(attr(REG));
    const firstAnswer = stack.exchange(request);
    expect(stack.association.receive(firstAnswer).kind).toBe('done');
    const replayAnswer = decodeApdu(stack.exchange(request));
    expect(replayAnswer).toMatchObject({ kind: 'ExceptionResponse', serviceError: ServiceError['invocation-counter-error'] });
    // …and a recorded answer played back to the client is refused too.
    stack.association.get(attr(REG));
    const step = stack.association.receive(firstAnswer);
    expect(step.kind).toBe('fail');
    expect((step as unknown as { error: SecurityError }).error).toBeInstanceOf(SecurityError);
    expect((step as unknown as { error: SecurityError }).error.reason).toBe('replayed-counter');
  });
});
