// The error a client raises when a meter answers with an exception-response: an AccessError
// that also carries the service-error and, for invocation-counter-error, the counter the
// meter reports — what a session needs to tell a refused replay from other refusals.
import { AccessError } from '../../errors.js';
import { type ExceptionResponse, ServiceError, StateError, nameOf } from '../apdu/index.js';

/**
 * The meter answered with an exception-response (an AccessError of result 'exception-response',
 * code = state-error) and says why: the service-error, and with invocation-counter-error the
 * counter it reports (Gurux reports the last one it accepted, others the lowest they accept).
 */
export class ExceptionResponseError extends AccessError {
  readonly serviceError: number;
  readonly reportedCounter: number | undefined;

  constructor(apdu: ExceptionResponse) {
    super(describeExceptionResponse(apdu), 'exception-response', apdu.stateError);
    this.serviceError = apdu.serviceError;
    this.reportedCounter = apdu.invocationCounter;
  }

  /** The meter refused the request's invocation counter (e.g. as a replay of one it took). */
  get counterRefused(): boolean {
    return this.serviceError === ServiceError['invocation-counter-error'];
  }
}

/** A technician's reading of an exception-response, e.g. a counter the meter refuses as too low. */
function describeExceptionResponse(apdu: ExceptionResponse): string {
  const what = `the meter answered with an exception-response (${nameOf(StateError, apdu.stateError)}, ${nameOf(ServiceError, apdu.serviceError)})`;
  if (apdu.serviceError === ServiceError['invocation-counter-error'] && apdu.invocationCounter !== undefined) {
    return `${what}: it refused our invocation counter and reports ${apdu.invocationCounter}; send a higher one`;
  }
  return what;
}
