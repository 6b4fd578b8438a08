import { SiteConflictError, type PeftMethod, type SiteClaim } from '@peft/core';

/** `attn.supports[per-query]`: a claim's site with its slot, as errors name it. */
export function claimLabel(c: SiteClaim): string {
  return c.slot === undefined ? c.site : `${c.site}[${c.slot}]`;
}

/** Two claims conflict when they name the same site and slot and either is exclusive. */
export function claimsConflict(a: SiteClaim, b: SiteClaim): boolean {
  return a.site === b.site && (a.slot ?? '') === (b.slot ?? '') && (a.exclusive || b.exclusive);
}

/**
 * Throws {@link SiteConflictError} (naming the site and both parts' descriptions) when two different parts claim a
 * site that cannot be shared. A part's own claims are its own business and are not compared with each other.
 */
export function checkClaims(parts: readonly PeftMethod[]): void {
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      for (const a of parts[i]!.claims) {
        const b = parts[j]!.claims.find((c) => claimsConflict(a, c));
        if (b) throw new SiteConflictError(claimLabel(a), `part ${i}: ${parts[i]!.describe()}`, `part ${j}: ${parts[j]!.describe()}`);
      }
    }
  }
}
