// The meter directory. A meter's identity is its serial number; its id (small integer, used
// in every other table) and its history stay with it wherever it answers. Discovery calls
// upsert() with what it found: a known serial at another address is a move (an event, same
// id); a meter that used to be recorded at that address loses the address (another event),
// so the directory never sends one meter's reads to another. Meters are never deleted:
// silent ones become 'unreachable', retired ones 'removed'.
//
// Security: the directory names a security profile and *references* to keys in the key store
// (e.g. { encryption: 'ek/meter-0042' }); a value that looks like key material is refused.
import type { Obis } from '../../shared/dlms/obis.js';
import type { Db, Statement } from './database.js';
import { fromJson, num, numOrNull, toJson } from './codec.js';
import { StoreError } from './errors.js';
import type { EventLog } from './events.js';

export type MeterStatus = 'active' | 'unreachable' | 'removed';
export type LinkKind = 'hdlc-serial' | 'hdlc-tcp' | 'wrapper-tcp' | 'wrapper-udp' | 'g3-plc' | (string & {});

/** One entry of the association's object list. */
export interface Capability {
  classId: number;
  obis: Obis | string;
  version: number;
}

/** Purpose → name of a key in the key store: { authentication, encryption, password, master… }. */
export type KeyRefs = Record<string, string>;

export interface MeterAddress {
  link: string | null;
  linkKind: LinkKind | null;
  physicalAddress: number | null;
  logicalDevice: number | null;
  networkAddress: string | null;
}

export interface CommunicationStats {
  attempts: number;
  successes: number;
  failures: number;
  bytesIn: number;
  bytesOut: number;
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface MeterRecord extends MeterAddress {
  id: number;
  serial: string;
  logicalDeviceName: string | null;
  clientSap: number | null;
  securityProfile: string | null;
  keyRefs: KeyRefs;
  capabilities: Capability[];
  status: MeterStatus;
  firstSeen: number;
  lastSeen: number;
  stats: CommunicationStats;
  silentCycles: number;
  /** G3-PLC: the short address the coordinator gave the meter (its EUI-64 is the networkAddress); null elsewhere. */
  shortAddress: number | null;
  /** G3-PLC: hops of the route to the meter, when known. */
  hops: number | null;
}

/** What discovery (or an installer) knows about a meter; undefined fields keep their stored value. */
export interface MeterFound extends Partial<MeterAddress> {
  serial: string;
  logicalDeviceName?: string | null;
  clientSap?: number | null;
  securityProfile?: string | null;
  keyRefs?: KeyRefs;
  capabilities?: Capability[];
  shortAddress?: number | null;
  hops?: number | null;
}

export interface UpsertResult {
  meter: MeterRecord;
  created: boolean;
  /** Set when a known meter answered at another address. */
  moved: { from: MeterAddress; to: MeterAddress } | null;
  /** Ids of other meters that were recorded at this address and lost it. */
  displaced: number[];
}

export interface Exchange {
  ok: boolean;
  bytesIn?: number;
  bytesOut?: number;
  /** Why it failed, in words a technician can act on. */
  error?: string;
}

const ADDRESS_FIELDS = ['link', 'linkKind', 'physicalAddress', 'logicalDevice', 'networkAddress'] as const;
const LOOKS_LIKE_KEY = /^(?:0x)?[0-9a-fA-F]{32,}$/;

export function checkKeyRefs(refs: KeyRefs): KeyRefs {
  for (const [purpose, ref] of Object.entries(refs)) {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 200) {
      throw new StoreError(`key reference '${purpose}' must be the name of a key in the key store (a non-empty string)`, 'invalid');
    }
    if (LOOKS_LIKE_KEY.test(ref)) {
      throw new StoreError(`key reference '${purpose}' looks like key material; the directory stores key names only, never keys`, 'invalid');
    }
  }
  return refs;
}

function addressOf(m: MeterAddress): MeterAddress {
  return { link: m.link, linkKind: m.linkKind, physicalAddress: m.physicalAddress, logicalDevice: m.logicalDevice, networkAddress: m.networkAddress };
}

function sameAddress(a: MeterAddress, b: MeterAddress): boolean {
  return ADDRESS_FIELDS.every((f) => a[f] === b[f]);
}

interface Row {
  [column: string]: unknown;
}

function fromRow(r: Row): MeterRecord {
  return {
    id: num(r.id),
    serial: r.serial as string,
    logicalDeviceName: r.logical_device_name as string | null,
    link: r.link as string | null,
    linkKind: r.link_kind as LinkKind | null,
    physicalAddress: numOrNull(r.physical_address),
    logicalDevice: numOrNull(r.logical_device),
    networkAddress: r.network_address as string | null,
    clientSap: numOrNull(r.client_sap),
    securityProfile: r.security_profile as string | null,
    keyRefs: fromJson<KeyRefs>(r.key_refs as string),
    capabilities: fromJson<Capability[]>(r.capabilities as string),
    status: r.status as MeterStatus,
    firstSeen: num(r.first_seen),
    lastSeen: num(r.last_seen),
    stats: {
      attempts: num(r.attempts),
      successes: num(r.successes),
      failures: num(r.failures),
      bytesIn: num(r.bytes_in),
      bytesOut: num(r.bytes_out),
      lastError: r.last_error as string | null,
      lastErrorAt: numOrNull(r.last_error_at),
    },
    silentCycles: num(r.silent_cycles),
    shortAddress: numOrNull(r.short_address),
    hops: numOrNull(r.hops),
  };
}

export class MeterDirectory {
  private readonly byIdStmt: Statement;
  private readonly bySerialStmt: Statement;
  private readonly byAddressStmt: Statement;
  private readonly insertStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly occupantsStmt: Statement;
  private readonly clearAddressStmt: Statement;
  private readonly exchangeStmt: Statement;
  private readonly silentStmt: Statement;
  private readonly seenStmt: Statement;
  private readonly statusStmt: Statement;
  private readonly listStmt: Statement;
  private readonly byNetworkStmt: Statement;
  private readonly tx: <T>(fn: () => T) => T;

  constructor(
    db: Db,
    private readonly events: EventLog,
    private readonly clock: () => number,
  ) {
    this.byIdStmt = db.prepare('SELECT * FROM meters WHERE id = ?');
    this.bySerialStmt = db.prepare('SELECT * FROM meters WHERE serial = ?');
    this.byAddressStmt = db.prepare(
      `SELECT * FROM meters WHERE link IS ? AND physical_address IS ? AND logical_device IS coalesce(?, logical_device)
       AND status != 'removed' ORDER BY last_seen DESC LIMIT 1`,
    );
    this.insertStmt = db.prepare(
      `INSERT INTO meters (serial, logical_device_name, link, link_kind, physical_address, logical_device, network_address,
         client_sap, security_profile, key_refs, capabilities, first_seen, last_seen, short_address, hops)
       VALUES (@serial, @logicalDeviceName, @link, @linkKind, @physicalAddress, @logicalDevice, @networkAddress,
         @clientSap, @securityProfile, @keyRefs, @capabilities, @now, @now, @shortAddress, @hops) RETURNING *`,
    );
    this.updateStmt = db.prepare(
      `UPDATE meters SET logical_device_name = @logicalDeviceName, link = @link, link_kind = @linkKind,
         physical_address = @physicalAddress, logical_device = @logicalDevice, network_address = @networkAddress,
         client_sap = @clientSap, security_profile = @securityProfile, key_refs = @keyRefs, capabilities = @capabilities,
         short_address = @shortAddress, hops = @hops
       WHERE id = @id`,
    );
    this.occupantsStmt = db.prepare(
      `SELECT id, serial FROM meters WHERE id != ? AND status != 'removed' AND link IS ? AND physical_address IS ?
       AND logical_device IS ? AND network_address IS ?`,
    );
    this.clearAddressStmt = db.prepare('UPDATE meters SET physical_address = NULL, network_address = NULL WHERE id = ?');
    this.exchangeStmt = db.prepare(
      `UPDATE meters SET attempts = attempts + 1, successes = successes + @ok, failures = failures + (1 - @ok),
         bytes_in = bytes_in + @bytesIn, bytes_out = bytes_out + @bytesOut,
         last_error = CASE WHEN @ok THEN last_error ELSE @error END,
         last_error_at = CASE WHEN @ok THEN last_error_at ELSE @now END
       WHERE id = @id`,
    );
    this.silentStmt = db.prepare('UPDATE meters SET silent_cycles = silent_cycles + 1 WHERE id = ? RETURNING silent_cycles, status');
    this.seenStmt = db.prepare(`UPDATE meters SET last_seen = max(last_seen, ?), silent_cycles = 0 WHERE id = ?`);
    this.statusStmt = db.prepare('UPDATE meters SET status = ? WHERE id = ?');
    this.byNetworkStmt = db.prepare(`SELECT * FROM meters WHERE link = ? AND network_address = ? AND status != 'removed' ORDER BY last_seen DESC LIMIT 1`);
    this.listStmt = db.prepare(`SELECT * FROM meters WHERE status = coalesce(?, status) AND (? IS NULL OR link = ?) ORDER BY id`);
    this.tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
  }

  get(id: number): MeterRecord | undefined {
    const r = this.byIdStmt.get(id) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  bySerial(serial: string): MeterRecord | undefined {
    const r = this.bySerialStmt.get(serial) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** The meter (not removed) last seen at this HDLC address on this link. */
  byAddress(link: string, physicalAddress: number, logicalDevice?: number): MeterRecord | undefined {
    const r = this.byAddressStmt.get(link, physicalAddress, logicalDevice ?? null) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** The meter (not removed) last seen with this network address (G3: EUI-64) on this link. */
  byNetworkAddress(link: string, networkAddress: string): MeterRecord | undefined {
    const r = this.byNetworkStmt.get(link, networkAddress) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  list(filter: { status?: MeterStatus; link?: string } = {}): MeterRecord[] {
    const link = filter.link ?? null;
    return (this.listStmt.all(filter.status ?? null, link, link) as Row[]).map(fromRow);
  }

  /** Adds or updates a meter by serial, counting it as seen now. One transaction, with its events. */
  upsert(found: MeterFound, now: number = this.clock()): UpsertResult {
    if (typeof found.serial !== 'string' || found.serial.trim() === '') throw new StoreError('a meter needs a serial number', 'invalid');
    if (found.keyRefs !== undefined) checkKeyRefs(found.keyRefs);
    return this.tx(() => {
      const existing = this.bySerial(found.serial);
      const merged = { ...this.defaults(), ...(existing ?? {}), ...defined(found) };
      const params = {
        serial: found.serial,
        logicalDeviceName: merged.logicalDeviceName ?? null,
        link: merged.link,
        linkKind: merged.linkKind,
        physicalAddress: merged.physicalAddress,
        logicalDevice: merged.logicalDevice,
        networkAddress: merged.networkAddress,
        clientSap: merged.clientSap ?? null,
        securityProfile: merged.securityProfile ?? null,
        keyRefs: toJson(merged.keyRefs ?? {}),
        capabilities: toJson(merged.capabilities ?? []),
        shortAddress: merged.shortAddress ?? null,
        hops: merged.hops ?? null,
        now,
      };
      let id: number;
      let moved: UpsertResult['moved'] = null;
      if (existing === undefined) {
        id = num((this.insertStmt.get(params) as Row).id);
        this.events.append({ ts: now, meter: id, kind: 'meter-added', severity: 'info', details: { serial: found.serial, ...addressOf(merged) } });
      } else {
        id = existing.id;
        const { serial: _serial, now: _now, ...changes } = params;
        this.updateStmt.run({ ...changes, id });
        if (!sameAddress(existing, merged)) {
          moved = { from: addressOf(existing), to: addressOf(merged) };
          this.events.append({ ts: now, meter: id, kind: 'meter-moved', severity: 'warning', details: { serial: found.serial, ...moved } });
        }
      }
      const displaced = this.displaceOthers(id, found.serial, merged, now);
      this.seen(id, now);
      return { meter: this.get(id)!, created: existing === undefined, moved, displaced };
    });
  }

  /** Records one exchange with the meter (a session, a read): statistics, and "seen" when it answered. */
  recordExchange(id: number, exchange: Exchange, now: number = this.clock()): MeterRecord {
    return this.tx(() => {
      const ok = exchange.ok ? 1 : 0;
      const changed = this.exchangeStmt.run({
        id,
        ok,
        bytesIn: exchange.bytesIn ?? 0,
        bytesOut: exchange.bytesOut ?? 0,
        error: exchange.error ?? 'failed',
        now,
      }).changes;
      if (changed === 0) throw new StoreError(`no meter with id ${id}`, 'not-found');
      if (exchange.ok) this.seen(id, now);
      return this.get(id)!;
    });
  }

  /**
   * Counts one cycle (discovery, or a scheduled read) in which the meter did not answer. At
   * `unreachableAfter` consecutive silent cycles an active meter becomes 'unreachable' (an event).
   */
  silentCycle(id: number, unreachableAfter: number, now: number = this.clock()): { silentCycles: number; becameUnreachable: boolean } {
    return this.tx(() => {
      const r = this.silentStmt.get(id) as { silent_cycles: number; status: MeterStatus } | undefined;
      if (r === undefined) throw new StoreError(`no meter with id ${id}`, 'not-found');
      const silentCycles = num(r.silent_cycles);
      const becameUnreachable = r.status === 'active' && silentCycles >= unreachableAfter;
      if (becameUnreachable) {
        this.statusStmt.run('unreachable', id);
        this.events.append({ ts: now, meter: id, kind: 'meter-unreachable', severity: 'warning', details: { silentCycles } });
      }
      return { silentCycles, becameUnreachable };
    });
  }

  /** Sets the status by hand (e.g. 'removed' when a meter is retired), with an event. */
  setStatus(id: number, status: MeterStatus, reason?: string, now: number = this.clock()): MeterRecord {
    return this.tx(() => {
      const before = this.get(id);
      if (before === undefined) throw new StoreError(`no meter with id ${id}`, 'not-found');
      if (before.status !== status) {
        this.statusStmt.run(status, id);
        this.events.append({ ts: now, meter: id, kind: 'meter-status', severity: 'info', details: { from: before.status, to: status, reason: reason ?? null } });
      }
      return this.get(id)!;
    });
  }

  /** Answered now: resets the silent-cycle count; an unreachable or removed meter becomes active (an event). */
  private seen(id: number, now: number): void {
    this.seenStmt.run(now, id);
    const m = this.get(id)!;
    if (m.status !== 'active') {
      this.statusStmt.run('active', id);
      this.events.append({ ts: now, meter: id, kind: 'meter-reachable', severity: 'info', details: { previous: m.status } });
    }
  }

  private displaceOthers(id: number, serial: string, at: MeterAddress, now: number): number[] {
    if (at.physicalAddress === null && at.networkAddress === null) return [];
    const others = this.occupantsStmt.all(id, at.link, at.physicalAddress, at.logicalDevice, at.networkAddress) as { id: number; serial: string }[];
    for (const o of others) {
      this.clearAddressStmt.run(o.id);
      this.events.append({
        ts: now,
        meter: o.id,
        kind: 'meter-displaced',
        severity: 'warning',
        details: { serial: o.serial, by: serial, address: addressOf(at) },
      });
    }
    return others.map((o) => num(o.id));
  }

  private defaults(): Omit<MeterFound, 'serial'> & MeterAddress {
    return {
      logicalDeviceName: null,
      link: null,
      linkKind: null,
      physicalAddress: null,
      logicalDevice: null,
      networkAddress: null,
      clientSap: null,
      securityProfile: null,
      keyRefs: {},
      capabilities: [],
      shortAddress: null,
      hops: null,
    };
  }
}

/** The fields of `o` that are not undefined (undefined = "keep what is stored"). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
