// Child process of service-concurrent.test.ts: opens `clients` cloud stores on the test's
// database (SQLite file or PostgreSQL schema), waits for the agreed instant, then for each
// request id 0..count-1 sends the same sale through every client at once — and now and then
// the same reversal and the same vendor payment — and prints {"requestId": token} as one
// JSON line. It runs on real time, so the first sale of each account also pays the monthly
// standing charges since the harness opened it (March): amounts of 10.00 and more cover them.
import { startVending, VendingError, VendingKeyring } from '../../../cloud/vending/index.js';
import { type DatabaseLocation, KEYS, openCloudStoreAt } from './service-fixtures.js';

const [locationJson, vendorId, countText, startAtText, clientsText] = process.argv.slice(2) as [string, string, string, string, string];
const location = JSON.parse(locationJson) as DatabaseLocation;
const stores = await Promise.all(Array.from({ length: Number(clientsText) }, () => openCloudStoreAt(location)));
const clients = await Promise.all(stores.map((store) => startVending({ store, keyring: new VendingKeyring(KEYS) })));
const vendor = await clients[0]!.service.vendors.get(vendorId);
const refusedOnly = (outcomes: PromiseSettledResult<unknown>[]) => {
  for (const o of outcomes) if (o.status === 'rejected' && !(o.reason instanceof VendingError)) throw o.reason;
};
while (Date.now() < Number(startAtText)) await new Promise((r) => setTimeout(r, 1));
const tokens: Record<string, string | null> = {};
for (let i = 0; i < Number(countText); i++) {
  const requestId = `c-${i}`;
  const meter = i % 2 === 0 ? 'MTR00000001' : 'MTR00000002';
  const answers = await Promise.all(clients.map((c) => c.service.vend(vendor, { requestId, meter, amount: 1000 + i })));
  if (new Set(answers.map((a) => a.token)).size !== 1) throw new Error(`the clients got different tokens for ${requestId}: ${answers.map((a) => a.token).join(', ')}`);
  tokens[requestId] = answers[0]!.token;
  // A reversal may be refused (another sale of the account came after it): never anything else.
  if (i % 5 === 4) refusedOnly(await Promise.allSettled(clients.map((c) => c.service.reverse(vendor, requestId))));
  if (i % 7 === 6) await Promise.all(clients.map((c) => c.service.vendors.recordPayment(vendorId, { amount: 100, reference: `pay-${i}` })));
}
for (const c of clients) await c.close();
for (const s of stores) await s.close();
process.stdout.write(`${JSON.stringify(tokens)}\n`);
