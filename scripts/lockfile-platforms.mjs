#!/usr/bin/env node
// Restores the lockfile entries of optional, platform-specific packages that the npm install left out.
//
// Why: when a registry (or mirror) cannot serve an optional platform package — e.g. rollup's native binary for
// darwin-arm64 — `npm install` skips it silently and writes no lock entry, and `npm ci` then refuses the lockfile as
// "out of sync". An entry with its version, os, cpu and libc is what npm writes normally: `npm ci` then skips it on
// other platforms without fetching anything. Run after any `npm install` that changes the lockfile.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;

// "@rollup/rollup-linux-arm64-musl" → { os: linux, cpu: arm64, libc: musl }
function platformOf(name) {
  const tail = name.split('/').pop().replace(/^rollup-/, '');
  const [os, cpu, abi] = tail.split('-');
  const out = { os: [os], cpu: [cpu === 'arm' ? 'arm' : cpu] };
  if (abi === 'gnu' || abi === 'gnueabihf') out.libc = ['glibc'];
  if (abi === 'musl' || abi === 'musleabihf') out.libc = ['musl'];
  return out;
}

let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  if (!key.startsWith('node_modules/') || !entry.optionalDependencies) continue;
  const base = key.slice(0, key.lastIndexOf('node_modules/'));
  for (const [dep, range] of Object.entries(entry.optionalDependencies)) {
    if (!dep.startsWith('@rollup/rollup-')) continue; // the only family the mirror here lacks
    const depKey = `${base}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (pkgs[depKey] || pkgs[hoisted]) continue;
    pkgs[hoisted] = { version: range, ...platformOf(dep), dev: !!entry.dev, license: 'MIT', optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`lockfile-platforms: ${added} optional platform entries restored`);
