// The STS token engine as the vending service uses it (shared/sts: pure, also used by the
// meter simulator), with the few internals the service needs.
export * from '../../shared/sts/index.js';
export { TID_LIMIT } from '../../shared/sts/tid.js';
