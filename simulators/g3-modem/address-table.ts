// The coordinator's EUI-64 → short address table. A real PAN coordinator keeps it in
// non-volatile memory, so a node gets the same short address at every re-join — after a
// modem reset and, when a file is given, after the simulator restarts too. The file is
// rewritten (atomically, as the meters' state: state-store.ts) at each new assignment.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../meter/transport/state-store.js';

interface StoredTable {
  version: 1;
  /** EUI-64 (16 lower-case hex digits) → short address. */
  shortAddresses: Record<string, number>;
}

/** Short addresses the coordinator hands out: 0x0001 up; 0x0000 is its own, 0x7F00… foreign relays. */
const FIRST_SHORT = 1;
const LAST_SHORT = 0x7eff;

export class ShortAddressTable {
  private readonly shortOf = new Map<string, number>();
  private next = FIRST_SHORT;

  /** `file`: where the table persists; null keeps it in memory only. */
  constructor(private readonly file: string | null) {
    if (file) this.load(file);
  }

  /** The node's short address: the one in the table, or the next free one (stored at once). */
  assign(eui64: string): number {
    let short = this.shortOf.get(eui64);
    if (short === undefined) {
      if (this.next > LAST_SHORT) throw new Error(`no short address left for ${eui64}`);
      short = this.next++;
      this.shortOf.set(eui64, short);
      this.save();
    }
    return short;
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    let stored: StoredTable;
    try {
      stored = JSON.parse(text) as StoredTable;
    } catch (e) {
      throw new Error(`short address table ${file} is not valid JSON (${(e as Error).message}); move it away to number the nodes afresh`);
    }
    if (stored?.version !== 1 || typeof stored.shortAddresses !== 'object' || stored.shortAddresses === null) {
      throw new Error(`short address table ${file} is not a version 1 table`);
    }
    const used = new Set<number>();
    for (const [eui64, short] of Object.entries(stored.shortAddresses)) {
      if (!/^[0-9a-f]{16}$/.test(eui64)) throw new Error(`short address table ${file}: "${eui64}" is not an EUI-64 of 16 lower-case hex digits`);
      if (!Number.isInteger(short) || short < FIRST_SHORT || short > LAST_SHORT) throw new Error(`short address table ${file}: ${eui64} has short address ${short}, outside ${FIRST_SHORT}..${LAST_SHORT}`);
      if (used.has(short)) throw new Error(`short address table ${file}: short address ${short} is given twice`);
      used.add(short);
      this.shortOf.set(eui64, short);
      this.next = Math.max(this.next, short + 1);
    }
  }

  private save(): void {
    if (!this.file) return;
    const stored: StoredTable = { version: 1, shortAddresses: Object.fromEntries(this.shortOf) };
    writeFileAtomic(this.file, `${JSON.stringify(stored, null, 1)}\n`);
  }
}
