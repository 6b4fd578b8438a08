import { ConfigError } from './errors.js';

/**
 * Refuses a field a method's config does not have (a typo such as `bottelneck` would otherwise fall back to a default
 * silently): throws {@link ConfigError} naming `<owner>.<field>` and listing the known ones. Every method's config
 * resolver calls it, so all refuse alike.
 */
export function refuseUnknownFields(owner: string, config: object, known: readonly string[]): void {
  for (const k of Object.keys(config)) {
    if (!known.includes(k)) throw new ConfigError(`${owner}.${k}`, `unknown field (known: ${known.join(', ')})`);
  }
}
