// What a discovery scan takes and reports (dcu/discovery/rs485.ts does the scan).
import type { Bus } from '../links/bus.js';
import type { BusConfig, MeterAccess } from '../meters/access.js';
import type { DcuStore } from '../store/index.js';

/**
 * Bus priority of a discovery probe: below everything else (Bus.exclusive serves the highest
 * first), so any waiting session takes the bus before the next address is probed.
 */
export const DISCOVERY_PRIORITY = -100;

/** The link kind discovery records for meters it finds on a serial bus. */
export const RS485_LINK_KIND = 'hdlc-serial';

/** The management logical device every meter has (HDLC upper address 1). */
export const LOGICAL_DEVICE = 1;

/** Structured logging as pino takes it (details first, message second). */
export interface DiscoveryLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export type AddressOutcome = 'silent' | 'found' | 'failed';

/** Where identifying a station went wrong. */
export type FailureStage =
  /** It answered the probe, then refused or garbled the link (DM, FRMR, no UA on the second SNRM). */
  | 'link'
  /** The association was rejected or failed (wrong password or keys, unknown client SAP…). */
  | 'association'
  /** Associated, but neither serial number nor logical device name could be read. */
  | 'identity'
  /** Its serial number already answered at another address in this scan. */
  | 'duplicate-serial';

export interface DiscoveryFailure {
  address: number;
  stage: FailureStage;
  /** For a technician: what happened, naming the bus and the address. */
  cause: string;
  /** The error's kind: LinkTimeout, ProtocolError, SecurityError, AccessError… */
  error: string;
  /** The security profile tried last. */
  profile: string;
  /** The event recorded for it. */
  eventId: number;
}

export interface DiscoveredMeter {
  id: number;
  /** The directory's identity: the serial number, or the logical device name of a meter without one. */
  serial: string;
  identifiedBy: 'serial-number' | 'logical-device-name';
  address: number;
  logicalDeviceName: string | null;
  /** The security profile it associated with. */
  profile: string;
  /** New in the directory. */
  created: boolean;
  /** Known at another address (or on another link) before. */
  moved: boolean;
  /** Was unreachable (or removed) and answered again. */
  reactivated: boolean;
  /** Objects in its association's object list; null when the list was not read or could not be (the stored one is kept). */
  capabilities: number | null;
  /** Its clock when read, and the offset to the gateway clock (meter − gateway, ms); null if unread or unspecified. */
  clock: { utc: number | null; offsetMs: number | null } | null;
  /** Reads that failed without preventing the identification (object list, clock). */
  problems: string[];
}

export interface DiscoveryProgress {
  bus: string;
  address: number;
  /** Addresses done so far (this one included) and in the whole range. */
  done: number;
  total: number;
  outcome: AddressOutcome;
  /** Totals so far. */
  found: number;
  failed: number;
  elapsedMs: number;
  meter?: DiscoveredMeter;
  failure?: DiscoveryFailure;
}

export interface DiscoverySummary {
  bus: string;
  from: number;
  to: number;
  /** Addresses probed. */
  scanned: number;
  /** Meters identified (and written to the directory). */
  found: number;
  created: number;
  moved: number;
  /** Unreachable meters that answered again. */
  reactivated: number;
  /** Meters of this bus in the directory that did not answer this time. */
  silent: number;
  /** Meters that became unreachable with this scan. */
  unreachable: number;
  /** Stations that answered but could not be associated or identified. */
  failed: number;
  durationMs: number;
  /** Stopped by the signal before the end of the range; silent cycles are then not counted. */
  aborted: boolean;
  meters: DiscoveredMeter[];
  failures: DiscoveryFailure[];
}

export interface DiscoverBusOptions {
  bus: Bus;
  /** The bus's configuration: its name (the directory's link), profile, HDLC proposal, timeouts and `discovery`. */
  busConfig: BusConfig;
  access: MeterAccess;
  store: DcuStore;
  log?: DiscoveryLog;
  /** Called after every address. */
  onProgress?: (progress: DiscoveryProgress) => void;
  /** A progress line in the log every this many addresses (default 16). */
  logEvery?: number;
  /** Bus priority of each address's work (default DISCOVERY_PRIORITY). */
  priority?: number;
  /** Stops the scan after the address in progress. */
  signal?: AbortSignal;
  /** The gateway clock for the meters' clock offsets (UTC ms); default the store's clock. */
  now?: () => number;
  /**
   * When to read the object list (about 2 kB, 2 s per meter at 9600 baud): 'always' (default),
   * or 'when-changed' — only for a meter that is new, moved, was not active, or has no
   * capabilities stored (clear its capabilities to have them read again, e.g. after a
   * firmware upgrade).
   */
  objectList?: 'always' | 'when-changed';
}
