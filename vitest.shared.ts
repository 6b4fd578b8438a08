import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// What every vitest config of the repository shares: @peft/* resolve to their sources, and tfjs-core's gradient
// registrations (extension-less ESM files) go through Vite's resolver.
const packagesDir = fileURLToPath(new URL('./packages', import.meta.url));

export const peftAliases = Object.fromEntries([
  // subpath exports first: an alias also matches the paths below it
  ['@peft/core/errors', `${packagesDir}/core/src/errors.ts`],
  ...readdirSync(packagesDir).map((name) => [`@peft/${name}`, `${packagesDir}/${name}/src/index.ts`]),
]);

export const inlineTfjsCore = { deps: { inline: [/@tensorflow[\\/]tfjs-core[\\/]dist[\\/](?!tf-core)/] } };

/**
 * The tests' data folder: `$PEFT_DATA`, default `../shared/data` next to the checkout (WebNLG 2017, SST-2, the
 * metric-check sets). The packages never look there themselves: tests and the commands they spawn get it through
 * PEFT_DATA, as a user's data folder. test/shared-data.ts makes a missing file fail under CI=true.
 */
export const testDataEnv = { PEFT_DATA: process.env.PEFT_DATA || fileURLToPath(new URL('../shared/data', import.meta.url)) };
