// Third-party vendors: who may sell, up to which credit, with which API key.
// An API key is `mev_<key id>_<secret>`: the key id (public, 16 hex digits) finds the vendor,
// the secret is 32 random bytes (base64url). Only the SHA-256 of the whole key is stored — a
// hash without salt or stretching is enough for a 256-bit random secret — and the key is shown
// once, when the vendor is created or its key rotated.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { VendingError } from './errors.js';
import type { VendingQueries, VendingStore, VendorRecord } from './store/index.js';
import { Books } from './ledger.js';

const KEY_PATTERN = /^mev_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function newApiKey(): { key: string; keyId: string; keyHash: string } {
  const keyId = randomBytes(8).toString('hex');
  const key = `mev_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { key, keyId, keyHash: hashApiKey(key) };
}

function checkMoney(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new VendingError('invalid', `${field} must be a whole non-negative number of minor units (cents), got ${JSON.stringify(value)}`, field);
  }
  return value;
}

export class Vendors {
  constructor(
    private readonly store: VendingStore,
    private readonly now: () => number,
  ) {}

  /** A new vendor; the API key in the answer is shown only this once. */
  async create(input: { name: string; creditLimit: number }): Promise<{ vendor: VendorRecord; apiKey: string }> {
    const name = String(input.name ?? '').trim();
    if (name.length < 1 || name.length > 100) throw new VendingError('invalid', 'name must be 1 to 100 characters', 'name');
    const creditLimit = checkMoney(input.creditLimit, 'creditLimit');
    const { key, keyId, keyHash } = newApiKey();
    const vendor = await this.store.transaction((tx) => tx.insertVendor({ id: randomUUID(), name, keyId, keyHash, creditLimit }, this.now()));
    return { vendor, apiKey: key };
  }

  /** The vendor an API key belongs to; a malformed, unknown or wrong key is 'unauthorized' alike. */
  async authenticate(apiKey: string | undefined): Promise<VendorRecord> {
    const match = apiKey ? KEY_PATTERN.exec(apiKey) : null;
    const found = match ? await this.store.vendorByKeyId(match[1]!) : null;
    if (!found || !timingSafeEqual(Buffer.from(found.keyHash, 'hex'), Buffer.from(hashApiKey(apiKey!), 'hex'))) {
      throw new VendingError('unauthorized', 'a valid vendor API key is required (Authorization: Bearer mev_…)');
    }
    if (found.vendor.status !== 'active') throw new VendingError('forbidden', `vendor '${found.vendor.name}' is suspended`);
    return found.vendor;
  }

  async get(id: string, q: VendingQueries = this.store, lock = false): Promise<VendorRecord> {
    const v = await q.vendor(id, { lock });
    if (!v) throw new VendingError('not-found', `no vendor ${id}`, 'vendor');
    return v;
  }

  list(): Promise<VendorRecord[]> {
    return this.store.vendors();
  }

  async setTerms(id: string, terms: { creditLimit?: number; status?: VendorRecord['status'] }): Promise<VendorRecord> {
    if (terms.creditLimit !== undefined) checkMoney(terms.creditLimit, 'creditLimit');
    if (terms.status !== undefined && terms.status !== 'active' && terms.status !== 'suspended') {
      throw new VendingError('invalid', `status must be 'active' or 'suspended', got ${JSON.stringify(terms.status)}`, 'status');
    }
    return this.store.transaction(async (tx) => {
      await this.get(id, tx, true);
      await tx.setVendorTerms(id, terms);
      return this.get(id, tx);
    });
  }

  /** A new API key for the vendor (the old one stops working); shown only this once. */
  async rotateKey(id: string): Promise<{ vendor: VendorRecord; apiKey: string }> {
    const { key, keyId, keyHash } = newApiKey();
    const vendor = await this.store.transaction(async (tx) => {
      await this.get(id, tx, true);
      await tx.setVendorKey(id, keyId, keyHash);
      return this.get(id, tx);
    });
    return { vendor, apiKey: key };
  }

  /**
   * The vendor paid the utility (settlement): its balance owed goes down. `reference` is the
   * payment's own id (bank reference…): the same reference again is a no-op, not a second payment.
   */
  async recordPayment(id: string, input: { amount: number; reference: string }): Promise<VendorRecord> {
    const amount = checkMoney(input.amount, 'amount');
    if (amount === 0) throw new VendingError('invalid', 'amount must be more than 0', 'amount');
    const reference = String(input.reference ?? '').trim();
    if (!reference || reference.length > 100) throw new VendingError('invalid', 'reference must be 1 to 100 characters', 'reference');
    const at = this.now();
    return this.store.transaction(async (tx) => {
      await this.get(id, tx, true); // the vendor's lock orders its payments: one reference, one payment
      const entry = `payment:${id}:${reference}`;
      const previous = await tx.journal({ entry });
      if (previous.length > 0) {
        const paid = previous.find((l) => l.book === Books.cash)?.amount;
        if (paid !== amount) throw new VendingError('conflict', `payment ${reference} was recorded with amount ${paid}, not ${amount}`, 'reference');
        return this.get(id, tx);
      }
      await tx.post({ entry, kind: 'payment', at, vendor: id, lines: [{ book: Books.cash, amount }, { book: Books.vendor(id), amount: -amount }] });
      await tx.addToVendorBalance(id, -amount);
      return this.get(id, tx);
    });
  }
}
