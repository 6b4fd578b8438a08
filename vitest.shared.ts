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
