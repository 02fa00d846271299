// Public surface of the tariff domain.
export * from './tariff.js';
export { parseTariff, tariffSchema } from './schema.js';
export { rateAt, timeWeightedPrice } from './tou.js';
export { splitAcrossSteps, type StepSlice } from './steps.js';
export { costOfConsumption } from './cost.js';
export { costOfUnits, unitsForMoney, applyVat, type Priced } from './pricing.js';
export { chargesDue, type ChargeDue, type ChargesDue } from './charges.js';
export { tariffInForce } from './versions.js';
export { localTime, type LocalTime } from '../../../shared/prepayment/local-time.js';
