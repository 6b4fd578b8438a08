// Publishes every @peft package from an unbuilt clean clone of this repository's HEAD to a registry, as a release
// would: `git clone` into a temporary folder, `npm ci`, then the release with npm pointed at the registry.
//   npx tsx scripts/registry/publish-clone.ts http://127.0.0.1:PORT/
// The release is the clone's own `npm run release` (changeset version + publish, each package built by its prepack)
// where its package.json has one; until then the same contract by hand: `npm run build`, then `npm publish` of each
// workspace package (RELEASE_BY_HAND below). Only committed work is published: the clone is of HEAD.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCommand } from './run-command.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The release before the repository has `npm run release`: build everything, then publish each workspace package. */
const RELEASE_BY_HAND: readonly (readonly [string, readonly string[]])[] = [
  ['npm', ['run', 'build']],
  ['npm', ['publish', '--workspaces', '--access', 'public']],
];

/**
 * An npm user config that sends everything to `registryUrl`, with a placeholder token for it: npm refuses to publish
 * without one, and the throw-away registry takes anonymous publishes of @peft/*.
 */
export function registryNpmrc(registryUrl: string, dir: string): string {
  const file = join(dir, 'npmrc');
  const host = registryUrl.replace(/^https?:/, '');
  writeFileSync(file, `registry=${registryUrl}\n${host}:_authToken=anonymous-publish\nfund=false\naudit=false\nupdate-notifier=false\n`);
  return file;
}

/** The environment of an npm command that must use `registryUrl` (publishing, or a user's install). */
export function registryEnv(registryUrl: string, npmrc: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_registry: registryUrl, npm_config_userconfig: npmrc, ...extra };
  delete env.npm_config_prefix;
  return env;
}

/** The packages of the clone that a release publishes: name and version of each non-private packages/* folder. */
export interface PublishedPackage {
  readonly name: string;
  readonly version: string;
}

export interface Release {
  /** The commit published. */
  readonly sha: string;
  /** What published it: `npm run release`, or the build and publish by hand before the repository had it. */
  readonly releaseCommand: string;
  readonly packages: readonly PublishedPackage[];
}

function publishablePackages(cloneDir: string): PublishedPackage[] {
  return readdirSync(join(cloneDir, 'packages'))
    .map((name) => JSON.parse(readFileSync(join(cloneDir, 'packages', name, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean })
    .filter((pkg) => !pkg.private)
    .map((pkg) => ({ name: pkg.name, version: pkg.version }));
}

/**
 * Clones HEAD, installs, releases to `registryUrl`. Returns the commit, the release command used and the packages
 * published (their versions after the release); the clone is removed.
 */
export async function publishFromCleanClone({ registryUrl, log = () => {} }: { registryUrl: string; log?: (line: string) => void }): Promise<Release> {
  const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const work = mkdtempSync(join(tmpdir(), 'peft-release-'));
  try {
    const clone = join(work, 'clone');
    await runCommand('git', ['clone', '--quiet', '--no-checkout', repoRoot, clone], { cwd: work, log });
    await runCommand('git', ['checkout', '--quiet', '--detach', sha], { cwd: clone, log });
    // the clone's dependencies from the ordinary registry, as a contributor's `npm ci`
    await runCommand('npm', ['ci', '--no-audit', '--no-fund'], { cwd: clone, log, timeoutMs: 900_000 });
    const env = registryEnv(registryUrl, registryNpmrc(registryUrl, work));
    const scripts = (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
    const release: readonly (readonly [string, readonly string[]])[] = scripts.release ? [['npm', ['run', 'release']]] : RELEASE_BY_HAND;
    for (const [command, args] of release) await runCommand(command, args, { cwd: clone, env, log, timeoutMs: 1_200_000 });
    return {
      sha,
      releaseCommand: release.map(([c, a]) => `${c} ${a.join(' ')}`).join(' && '),
      packages: publishablePackages(clone),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const registryUrl = process.argv[2];
  if (!registryUrl) {
    process.stderr.write('usage: npx tsx scripts/registry/publish-clone.ts <registry url>\n');
    process.exit(2);
  }
  const result = await publishFromCleanClone({ registryUrl, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
