// Choosing the tariff version in force: the one with the latest validFrom at or
// before the instant. Versions are never edited, so this choice is repeatable.
import { TariffError, type Tariff } from './tariff.js';

/** The version of tariff `id` in force at `at`; a TariffError when none is yet, or when two versions collide. */
export function tariffInForce(versions: readonly Tariff[], id: string, at: number): Tariff {
  let best: Tariff | undefined;
  for (const t of versions) {
    if (t.id !== id || t.validFrom > at) continue;
    if (best && t.validFrom === best.validFrom && t.version !== best.version) {
      throw new TariffError(`${id}.validFrom`, `versions ${best.version} and ${t.version} both take effect at ${new Date(t.validFrom).toISOString()}`);
    }
    if (!best || t.validFrom > best.validFrom) best = t;
  }
  if (!best) throw new TariffError(id, `no version of tariff '${id}' is in force at ${new Date(at).toISOString()}`);
  return best;
}
