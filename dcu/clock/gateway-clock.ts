// The gateway's own clock is the authority for meters' clocks and for schedules — but only
// once it is synchronised (NTP via systemd-timesyncd or chrony, or GNSS). Until then the
// DCU schedules no reads and sets no meter clock.
import { execFile } from 'node:child_process';

export interface GatewayClock {
  now(): number;
  /** True when the system clock is known to be right. */
  synchronised(): Promise<boolean>;
}

/** Asks timedatectl (systemd) and then chronyc; neither present means "not known to be right". */
export class SystemClock implements GatewayClock {
  private cached: { at: number; value: boolean } | null = null;

  constructor(private readonly assumeSynchronised = false) {}

  now(): number {
    return Date.now();
  }

  async synchronised(): Promise<boolean> {
    if (this.assumeSynchronised) return true;
    if (this.cached && Date.now() - this.cached.at < 60_000) return this.cached.value;
    const value = (await ask('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'])) === 'yes' || /Leap status\s*:\s*Normal/.test((await ask('chronyc', ['tracking'])) ?? '');
    this.cached = { at: Date.now(), value };
    return value;
  }
}

function ask(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 2000 }, (error, stdout) => resolve(error ? null : stdout.trim()));
  });
}

/** A clock for tests and simulations: set by hand, synchronised or not. */
export class ManualClock implements GatewayClock {
  constructor(public time = Date.now(), public isSynchronised = true) {}

  now(): number {
    return this.time;
  }

  async synchronised(): Promise<boolean> {
    return this.isSynchronised;
  }
}
