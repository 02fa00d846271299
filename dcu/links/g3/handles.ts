// nsduHandles of ADPD-DATA requests: 0–255, each naming one request until its confirm
// comes back. A handle is never given to a second request while the first is in flight
// (the confirm would be matched to the wrong one); handles rotate so that a late confirm
// for a request given up on is unlikely to meet a new request under the same number.

export const NSDU_HANDLES = 256;

export class HandlePool {
  private readonly used = new Set<number>();
  private next = 0;

  get inFlight(): number {
    return this.used.size;
  }

  /** A free handle, or null when all 256 are in flight. */
  take(): number | null {
    if (this.used.size >= NSDU_HANDLES) return null;
    while (this.used.has(this.next)) this.next = (this.next + 1) % NSDU_HANDLES;
    const handle = this.next;
    this.used.add(handle);
    this.next = (this.next + 1) % NSDU_HANDLES;
    return handle;
  }

  has(handle: number): boolean {
    return this.used.has(handle);
  }

  release(handle: number): void {
    this.used.delete(handle);
  }

  clear(): void {
    this.used.clear();
  }
}
