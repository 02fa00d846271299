// Public surface of the account domain.
export * from './account.js';
export {
  openAccount,
  closeAccount,
  switchMode,
  applyVend,
  chargeConsumption,
  takeEmergencyCredit,
  applyPayment,
  addDebt,
  changeTariff,
  type OpenAccountInput,
} from './transitions.js';
export { disconnectDecision } from './disconnect.js';
export { creditWarnings } from './low-credit.js';
