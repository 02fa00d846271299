// The payment metering objects of a simulated meter (Blue Book 4.6) and who may use them
// (access.ts): readers read everything; management may enter tokens (IC 115 method 1) and
// switch the payment mode (IC 111 attribute 2). None are in the public view.
import type { MeterEnv } from '../env.js';
import type { ObjectModel } from '../object-model.js';
import { AccountObject } from '../objects/account.js';
import { CreditObject } from '../objects/credit.js';
import { TokenGatewayObject } from '../objects/token-gateway.js';
import type { PrepaymentAccount } from './account.js';

export function addPrepaymentObjects(env: MeterEnv, model: ObjectModel, account: PrepaymentAccount): void {
  model.add({ object: new AccountObject(env, account), access: { writable: [2] } });
  model.add({ object: new CreditObject(env, account), access: {} });
  model.add({ object: new TokenGatewayObject(env, account), access: { methods: [1] } });
}
