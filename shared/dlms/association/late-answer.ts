// Over a datagram link (UDP, G3-PLC) a request repeated after a timeout can be answered
// twice: the first answer is taken, the second arrives while the next request is out and
// must not be taken for its answer. xDLMS says which request an answer belongs to: the
// service (GET, SET, ACTION, association), the invoke-id a request and its answer share,
// and in a block transfer the block number.
import type { Apdu } from '../apdu/index.js';

/** What the client has outstanding, as far as matching an answer goes. */
export interface Outstanding {
  kind: 'associate' | 'hls' | 'get' | 'set' | 'action' | 'release';
  invokeId: number;
  /** GET: the last block taken (0 before the first). */
  lastBlock?: number;
  /** SET/ACTION with blocks: the block whose acknowledgement is awaited. */
  awaitedBlock?: number;
}

const SERVICE: Record<Outstanding['kind'], string> = { associate: 'AARE', hls: 'Action', get: 'Get', set: 'Set', action: 'Action', release: 'RLRE' };
const SERVICES = ['AARE', 'RLRE', 'Get', 'Set', 'Action'];

/** Why `apdu` answers an earlier request rather than the outstanding one, or null when it may be its answer. */
export function lateAnswerReason(outstanding: Outstanding, apdu: Apdu): string | null {
  const service = SERVICES.find((s) => apdu.kind.startsWith(s));
  // Exception responses and confirmed-service errors can answer anything.
  if (!service) return null;
  const expected = SERVICE[outstanding.kind];
  if (service !== expected) return `${apdu.kind} while an answer of ${expected} is awaited`;
  if ('invokeId' in apdu && apdu.invokeId !== outstanding.invokeId) return `${apdu.kind} with invoke-id ${apdu.invokeId}, the request outstanding has ${outstanding.invokeId}`;
  // A block already taken; a refusal that names a block before the last one taken refused a
  // repeat of an earlier GET-Request-Next (one naming the last block refuses the request out now).
  const last = outstanding.lastBlock;
  if (apdu.kind === 'GetResponseWithDatablock' && last !== undefined && (apdu.result.kind === 'raw-data' ? apdu.blockNumber <= last : apdu.blockNumber < last)) {
    return `GET block ${apdu.blockNumber} again (block ${last} already taken)`;
  }
  if ((apdu.kind === 'SetResponseDatablock' || apdu.kind === 'ActionResponseNextPblock') && outstanding.awaitedBlock !== undefined && apdu.blockNumber < outstanding.awaitedBlock) {
    return `${apdu.kind} for block ${apdu.blockNumber} again (block ${outstanding.awaitedBlock} awaited)`;
  }
  return null;
}
