// The DCU's key store for meters with keys of their own (delivered sealed by the cloud). Kept
// in the DCU's database; a gateway with a secure element would keep them there instead.
import type { DcuStore } from '../store/index.js';

export interface StoredMeterKeys {
  clientSap: number;
  ek: string | null;
  ak: string | null;
  password: string | null;
}

export const meterKeysKey = (serial: string) => `keys.meter.${serial}`;

export function meterKeys(store: DcuStore, serial: string): StoredMeterKeys | null {
  return store.config.value<StoredMeterKeys | null>(meterKeysKey(serial), null);
}
