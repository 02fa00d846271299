// Meter keys delivered by the cloud, sealed (tweetnacl box) to this DCU alone: opened with the
// DCU's secret key, checked to be meant for this DCU, and kept in the DCU's key store. From then
// on the meter is read with its own association (client, keys or password) instead of the bus
// profile. Nothing of the secrets goes into the journal or the result.
import { openSealed } from '../../shared/sync/sealed.js';
import { SyncError } from '../../shared/sync/errors.js';
import { type StoredMeterKeys, meterKeysKey } from '../meters/keys.js';
import { type Accepted, type CommandDeps, acceptCommand } from './journal.js';

export interface SealingKeys {
  dcuId: string;
  secretKey: Uint8Array;
  cloudPublicKey: Uint8Array;
}

export function startMeterKeysCommand(command: { id: string; sealed: Uint8Array }, deps: CommandDeps & { sealing?: SealingKeys }): Accepted {
  return acceptCommand(deps.store, { id: command.id, kind: 'meter-keys', meter: null, params: { bytes: command.sealed.length } }, async () => {
    if (!deps.sealing) return { status: 'failed', outcome: { cause: 'this DCU has no sealing key configured (uplink.sealing)', errorKind: 'NotConfigured' } };
    try {
      const keys = openSealed(command.sealed, deps.sealing.cloudPublicKey, deps.sealing.secretKey, deps.sealing.dcuId);
      const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : null);
      const password = keys.password === undefined ? null : typeof keys.password === 'string' ? keys.password : Buffer.from(keys.password).toString('latin1');
      deps.store.config.set<StoredMeterKeys>(meterKeysKey(keys.meter), { clientSap: keys.clientSap, ek: hex(keys.ek), ak: hex(keys.ak), password });
      deps.store.events.append({ kind: 'meter-keys-received', severity: 'info', details: { meter: keys.meter, clientSap: keys.clientSap } });
      return { status: 'done', outcome: { meter: keys.meter, clientSap: keys.clientSap } };
    } catch (e) {
      if (!(e instanceof SyncError)) throw e;
      deps.store.events.append({ kind: 'meter-keys-refused', severity: 'error', details: { reason: e.message } });
      return { status: 'failed', outcome: { cause: `sealed keys cannot be opened: ${e.message}`, errorKind: 'CannotOpen' } };
    }
  }, deps.log);
}
