// COSEM values as a technician reads them, and as JSON (bigint and bytes made printable).
import { hex } from '../../shared/bytes.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { type CosemDateTime, asDateTime, dateTimeToUtc } from '../../shared/dlms/datetime.js';

export function formatDateTime(dt: CosemDateTime): string {
  const utc = dateTimeToUtc(dt);
  if (utc !== null) return new Date(utc).toISOString().replace('.000Z', 'Z');
  const p = (v: number | null, n = 2) => (v === null ? '*'.repeat(n) : String(v).padStart(n, '0'));
  return `${p(dt.year, 4)}-${p(dt.month)}-${p(dt.dayOfMonth)} ${p(dt.hour)}:${p(dt.minute)}:${p(dt.second)} (local, deviation ${dt.deviation ?? 'unspecified'})`;
}

export function formatData(d: CosemData, indent = ''): string {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return d.type;
    case 'array':
    case 'structure': {
      if (d.value.length === 0) return d.type === 'array' ? '[]' : '{}';
      const inner = d.value.map((v) => `${indent}  ${formatData(v, indent + '  ')}`).join('\n');
      return `${d.type === 'array' ? `array(${d.value.length})` : 'structure'}\n${inner}`;
    }
    case 'octet-string': {
      const dt = d.value.length === 12 ? asDateTime(d) : null;
      if (dt) return formatDateTime(dt);
      const printable = d.value.length > 0 && d.value.every((b) => b >= 0x20 && b < 0x7f);
      return printable ? `"${Buffer.from(d.value).toString('latin1')}" (${hex(d.value)})` : hex(d.value) || '(empty)';
    }
    case 'bit-string':
      return `bits(${d.value.length}) ${hex(d.value.bytes)}`;
    case 'date-time':
      return formatDateTime(d.value);
    case 'date':
    case 'time':
      return JSON.stringify(d.value);
    case 'compact-array':
      return `compact-array(${d.value.elements.length})`;
    default:
      return `${String(d.value)} (${d.type})`;
  }
}

/** JSON with bigint as string and byte arrays as hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? hex(v) : v), 2);
}
