// The HDLC control field (IEC 62056-46 §6.4.3; ISO/IEC 13239). Sequence numbers are
// modulo 8. P/F is the poll bit from the primary (client) and the final bit from the
// secondary (server).

export type Control =
  | { type: 'I'; ns: number; nr: number; pf: boolean }
  | { type: 'RR' | 'RNR'; nr: number; pf: boolean }
  | { type: 'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI'; pf: boolean };

export type ControlType = Control['type'];

const UNNUMBERED: Record<'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI', number> = {
  SNRM: 0x83,
  DISC: 0x43,
  UA: 0x63,
  DM: 0x0f,
  FRMR: 0x87,
  UI: 0x03,
};

const BY_CODE = new Map<number, 'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI'>(
  Object.entries(UNNUMBERED).map(([name, code]) => [code, name as 'SNRM']),
);

export function encodeControl(c: Control): number {
  const pf = c.pf ? 0x10 : 0;
  switch (c.type) {
    case 'I':
      return ((c.nr & 7) << 5) | pf | ((c.ns & 7) << 1);
    case 'RR':
      return ((c.nr & 7) << 5) | pf | 0x01;
    case 'RNR':
      return ((c.nr & 7) << 5) | pf | 0x05;
    default:
      return UNNUMBERED[c.type] | pf;
  }
}

/** Decodes a control byte; null when it is no control field DLMS uses (the caller answers FRMR). */
export function decodeControl(byte: number): Control | null {
  const pf = (byte & 0x10) !== 0;
  if ((byte & 1) === 0) return { type: 'I', ns: (byte >> 1) & 7, nr: byte >> 5, pf };
  if ((byte & 0x0f) === 0x01) return { type: 'RR', nr: byte >> 5, pf };
  if ((byte & 0x0f) === 0x05) return { type: 'RNR', nr: byte >> 5, pf };
  const type = BY_CODE.get(byte & 0xef);
  return type ? { type, pf } : null;
}

export function formatControl(c: Control): string {
  const pf = c.pf ? ' P/F' : '';
  if (c.type === 'I') return `I N(S)=${c.ns} N(R)=${c.nr}${pf}`;
  if (c.type === 'RR' || c.type === 'RNR') return `${c.type} N(R)=${c.nr}${pf}`;
  return `${c.type}${pf}`;
}
