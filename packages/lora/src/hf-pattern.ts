import { AdapterMismatchError } from '@peft/core';

/**
 * Hugging Face PEFT's resolution of a per-module value (`get_pattern_key`, peft/utils/other.py): the pattern keys are
 * tried in order, and the first key K for which the module's full path matches `(.*\.)?(K)$` from its start gives the
 * value; no match gives the config's default (`r` / `lora_alpha`; PEFT's defaults 8 and 8). K is a regex, so a module
 * suffix (`c_attn`), a layer-specific path (`h.1.attn.c_attn`) and a regex (`h\.[01]\.attn\..*`) all work.
 */
export function resolveHfPattern(cfg: Record<string, unknown>, patternField: string, defaultField: string, path: string, cfgPath: string): number {
  const patterns = cfg[patternField];
  if (patterns !== undefined && patterns !== null) {
    if (typeof patterns !== 'object' || Array.isArray(patterns)) throw new AdapterMismatchError(cfgPath, patternField, 'a map from pattern to number', patterns);
    for (const [k, v] of Object.entries(patterns as Record<string, unknown>)) {
      let re: RegExp;
      try {
        re = new RegExp(`^(.*\\.)?(${k})$`);
      } catch (e) {
        throw new AdapterMismatchError(cfgPath, `${patternField}.${k}`, 'a regular expression', `${k} (${(e as Error).message})`);
      }
      if (!re.test(path)) continue;
      if (typeof v !== 'number' || !(v > 0)) throw new AdapterMismatchError(cfgPath, `${patternField}.${k}`, 'a positive number', v);
      return v;
    }
  }
  const v = cfg[defaultField] ?? 8;
  if (typeof v !== 'number' || !(v > 0)) throw new AdapterMismatchError(cfgPath, defaultField, 'a positive number', v);
  return v;
}
