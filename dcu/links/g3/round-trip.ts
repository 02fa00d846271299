// A node's round-trip estimate (RFC 6298's smoothed RTT and variation): the timeout it
// suggests follows what the node has been taking, when that is more than the hop count says.

export class RoundTrip {
  private srtt: number | null = null;
  private rttvar = 0;

  get smoothed(): number | null {
    return this.srtt;
  }

  sample(ms: number): void {
    if (this.srtt === null) {
      this.srtt = ms;
      this.rttvar = ms / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
    this.srtt = 0.875 * this.srtt + 0.125 * ms;
  }

  /** srtt + 4·rttvar, or null before the first answer. */
  timeout(): number | null {
    return this.srtt === null ? null : Math.ceil(this.srtt + 4 * this.rttvar);
  }
}
