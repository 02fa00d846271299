// Invoke-Id-And-Priority (one byte, every confirmed xDLMS service) and
// Long-Invoke-Id-And-Priority (u32, data-notification). Reserved bits are ignored
// on decode, as the standard asks, and written as zero.
export interface InvokeIdAndPriority {
  /** 0..15, echoed by the server so the client can pair answers with requests. */
  invokeId: number;
  serviceClass: 'confirmed' | 'unconfirmed';
  priority: 'normal' | 'high';
}

export interface LongInvokeIdAndPriority {
  /** 0..0xFFFFFF. */
  invokeId: number;
  serviceClass: 'confirmed' | 'unconfirmed';
  priority: 'normal' | 'high';
  selfDescriptive: boolean;
  /** Processing option: break on error (true) or continue on error (false). */
  breakOnError: boolean;
}

/** The usual client default: invoke id 1, confirmed, high priority (0xC1). */
export const DEFAULT_INVOKE: InvokeIdAndPriority = { invokeId: 1, serviceClass: 'confirmed', priority: 'high' };

export function invokeIdAndPriorityByte(p: InvokeIdAndPriority): number {
  if (!Number.isInteger(p.invokeId) || p.invokeId < 0 || p.invokeId > 15) {
    throw new RangeError(`invoke id ${p.invokeId} is not in 0..15`);
  }
  return (p.priority === 'high' ? 0x80 : 0) | (p.serviceClass === 'confirmed' ? 0x40 : 0) | p.invokeId;
}

export function parseInvokeIdAndPriority(byte: number): InvokeIdAndPriority {
  return {
    invokeId: byte & 0x0f,
    serviceClass: byte & 0x40 ? 'confirmed' : 'unconfirmed',
    priority: byte & 0x80 ? 'high' : 'normal',
  };
}

/** Copies just the invoke fields out of a larger object (an APDU). */
export function invokeOf(p: InvokeIdAndPriority): InvokeIdAndPriority {
  return { invokeId: p.invokeId, serviceClass: p.serviceClass, priority: p.priority };
}

export function longInvokeIdAndPriorityValue(p: LongInvokeIdAndPriority): number {
  if (!Number.isInteger(p.invokeId) || p.invokeId < 0 || p.invokeId > 0xffffff) {
    throw new RangeError(`long invoke id ${p.invokeId} is not in 0..0xFFFFFF`);
  }
  const flags =
    (p.priority === 'high' ? 0x80 : 0) |
    (p.serviceClass === 'confirmed' ? 0x40 : 0) |
    (p.breakOnError ? 0x20 : 0) |
    (p.selfDescriptive ? 0x10 : 0);
  return flags * 0x1000000 + p.invokeId;
}

export function parseLongInvokeIdAndPriority(value: number): LongInvokeIdAndPriority {
  const flags = Math.floor(value / 0x1000000) & 0xff;
  return {
    invokeId: value & 0xffffff,
    serviceClass: flags & 0x40 ? 'confirmed' : 'unconfirmed',
    priority: flags & 0x80 ? 'high' : 'normal',
    selfDescriptive: (flags & 0x10) !== 0,
    breakOnError: (flags & 0x20) !== 0,
  };
}
