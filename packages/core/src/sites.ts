/**
 * The named sites of a layer: the only places where a PEFT method may act. A model calls the hooks it was given at
 * these sites and knows nothing else of the method.
 */

/**
 * Linear maps of a layer. A hook there gets the input x, the frozen output y and the site's frozen weights, and returns
 * the site's new output (LoRA: y plus its change; IA³: y scaled; DoRA: y rescaled by a magnitude). `ffn.gate` is the
 * gate of a gated FFN (SwiGLU: down(act(gate(x)) ∘ up(x)), where `ffn.in` is the up projection); a model without one
 * has no such site. Which sites a model has, and their sizes, are facts of its {@link ModelSpec}.
 */
export const LINEAR_SITES = ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.gate', 'ffn.in', 'ffn.out'] as const;
export type LinearSite = (typeof LINEAR_SITES)[number];

/** Every site. */
export const SITES = [...LINEAR_SITES, 'attn.supports', 'attn.output', 'ffn.act', 'ffn.output', 'ffn.parallel'] as const;
export type SiteName = (typeof SITES)[number];

export function isLinearSite(s: string): s is LinearSite {
  return (LINEAR_SITES as readonly string[]).includes(s);
}
export function isSite(s: string): s is SiteName {
  return (SITES as readonly string[]).includes(s);
}

/**
 * What a method claims of a site. Claims on the same `site` and `slot` conflict when either is exclusive.
 * - linear sites chain (each hook changes what the one before returned: additive changes such as LoRA's commute,
 *   a scaling such as IA³'s scales what came before it, so a mix's part order counts) and `ffn.parallel` terms add:
 *   claim them shared;
 * - `ffn.act` (the FFN's intermediate activation, the input of `ffn.out`) composes by chaining: claim it shared;
 * - `attn.supports` has the slots `shared` (prefix keys/values concatenate) and `per-query` (one inducer per query:
 *   exclusive, two cannot be merged into one λ);
 * - sequential adapters (`attn.output`, `ffn.output`) are exclusive: their order would be a silent choice.
 */
export interface SiteClaim {
  readonly site: SiteName;
  readonly slot?: string;
  readonly exclusive: boolean;
}

/** The default exclusivity of each site, for methods that do not need to think about it. */
export function defaultClaim(site: SiteName, slot?: string): SiteClaim {
  if (site === 'attn.supports') return { site, slot: slot ?? 'per-query', exclusive: (slot ?? 'per-query') === 'per-query' };
  const exclusive = site === 'attn.output' || site === 'ffn.output';
  return slot === undefined ? { site, exclusive } : { site, slot, exclusive };
}
