// Which answers belong to the request outstanding: service, invoke-id, block number.
import { describe, expect, it } from 'vitest';
import type { Apdu } from '../../../../shared/dlms/apdu/index.js';
import { lateAnswerReason } from '../../../../shared/dlms/association/late-answer.js';

const invoke = (invokeId: number) => ({ invokeId, serviceClass: 'confirmed', priority: 'high' }) as const;
const block = (invokeId: number, blockNumber: number, ok = true): Apdu => ({
  kind: 'GetResponseWithDatablock',
  ...invoke(invokeId),
  lastBlock: false,
  blockNumber,
  result: ok ? { kind: 'raw-data', rawData: new Uint8Array([1, 2]) } : { kind: 'data-access-result', dataAccessResult: 19 },
});
const normal = (invokeId: number): Apdu => ({ kind: 'GetResponseNormal', ...invoke(invokeId), result: { kind: 'data', data: { type: 'unsigned', value: 1 } } });

describe('late answers', () => {
  it('takes the answer with the outstanding invoke-id, drops one with an earlier', () => {
    expect(lateAnswerReason({ kind: 'get', invokeId: 5, lastBlock: 0 }, normal(5))).toBeNull();
    expect(lateAnswerReason({ kind: 'get', invokeId: 5, lastBlock: 0 }, normal(4))).toMatch(/invoke-id 4.*has 5/);
  });

  it('in a block transfer drops a block already taken, takes the next', () => {
    const get = { kind: 'get' as const, invokeId: 3, lastBlock: 4 };
    expect(lateAnswerReason(get, block(3, 5))).toBeNull();
    expect(lateAnswerReason(get, block(3, 4))).toMatch(/block 4 again/);
    expect(lateAnswerReason(get, block(3, 2))).toMatch(/block 2 again/);
  });

  it('a refusal naming the last block taken refuses the request out now; one naming an earlier block refused a repeat', () => {
    const get = { kind: 'get' as const, invokeId: 3, lastBlock: 4 };
    expect(lateAnswerReason(get, block(3, 4, false))).toBeNull();
    expect(lateAnswerReason(get, block(3, 3, false))).toMatch(/block 3 again/);
  });

  it('drops an answer of another service; exception responses may answer anything', () => {
    expect(lateAnswerReason({ kind: 'action', invokeId: 2 }, normal(2))).toMatch(/GetResponseNormal while an answer of Action/);
    expect(lateAnswerReason({ kind: 'get', invokeId: 2, lastBlock: 0 }, { kind: 'RLRE' } as Apdu)).toMatch(/RLRE/);
    expect(lateAnswerReason({ kind: 'get', invokeId: 2, lastBlock: 0 }, { kind: 'ExceptionResponse', stateError: 1, serviceError: { kind: 'operation-not-possible' } } as unknown as Apdu)).toBeNull();
  });

  it('drops the acknowledgement of a SET block already acknowledged', () => {
    const set = { kind: 'set' as const, invokeId: 7, awaitedBlock: 3 };
    expect(lateAnswerReason(set, { kind: 'SetResponseDatablock', ...invoke(7), blockNumber: 3 } as Apdu)).toBeNull();
    expect(lateAnswerReason(set, { kind: 'SetResponseDatablock', ...invoke(7), blockNumber: 2 } as Apdu)).toMatch(/block 2 again/);
  });
});
