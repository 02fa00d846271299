// The vending service assembled for the cloud process: the store next to the cloud store's
// tables (its SQLite connection or its PostgreSQL pool), the keyring, the vend flow, the
// operator operations and the remote-credit worker (which sends tokens through the
// CommandService and reads results from the store).
import type { CommandService } from '../commands/service.js';
import type { CloudStore } from '../store/index.js';
import { VendingKeyring } from './keyring.js';
import { Operations } from './operations.js';
import { RemoteCredit, type RemoteCreditOptions } from './remote-credit.js';
import { VendingService } from './service.js';
import { openVendingStore } from './store/index.js';

export { VendingError } from './errors.js';
export { VendingService } from './service.js';
export { Operations } from './operations.js';
export { RemoteCredit } from './remote-credit.js';
export { VendingKeyring } from './keyring.js';
export { VendingStore, openVendingStore } from './store/index.js';

export interface Vending {
  service: VendingService;
  operations: Operations;
  remoteCredit: RemoteCredit | null;
  /** Stops the remote-credit worker (the store belongs to the cloud). */
  close(): Promise<void>;
}

export interface StartVendingOptions {
  store: CloudStore;
  /** Sends token commands; without it remote deliveries stay 'pending' until a cloud with commands runs. */
  commands?: CommandService;
  keyring: VendingKeyring;
  now?: () => number;
  reversalWindowMs?: number;
  remoteCredit?: Partial<Omit<RemoteCreditOptions, 'store' | 'commands' | 'result'>>;
}

/** Vending on the cloud store's database, SQLite or PostgreSQL (its tables created or migrated now). */
export async function startVending(o: StartVendingOptions): Promise<Vending> {
  const store = await openVendingStore(o.store);
  const now = o.now ?? Date.now;
  let remoteCredit: RemoteCredit | null = null;
  const service = new VendingService({
    store,
    keyring: o.keyring,
    now,
    ...(o.reversalWindowMs !== undefined && { reversalWindowMs: o.reversalWindowMs }),
    onRemoteVend: () => remoteCredit?.kick(),
  });
  if (o.commands) {
    const cloudStore = o.store;
    remoteCredit = new RemoteCredit({ ...o.remoteCredit, store, commands: o.commands, result: (dcu, id) => cloudStore.result(dcu, id), now });
    remoteCredit.start();
  }
  return {
    service,
    operations: new Operations(service),
    remoteCredit,
    async close() {
      await remoteCredit?.stop();
    },
  };
}
