import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// What each package.json claims about tfjs and about side effects, checked against its source and its build:
// - a package that imports a tfjs internal path (`@tensorflow/tfjs-*/dist/…`) or registers kernels into a backend
//   (they run on the backend's internals) pins tfjs-core exactly, to the version the repository tests;
// - a package that registers kernels into a backend declares that backend's package as a peer, pinned exactly
//   (optional where the application may use another of the backends it serves);
// - `sideEffects` lists every built file that does something when loaded (registers gradients, methods, runs a
//   command), or is true; a package whose build does nothing at load may say false.
const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(`${root}/packages`).filter((p) => existsSync(`${root}/packages/${p}/package.json`));
const rootManifest = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
const TFJS = rootManifest.devDependencies['@tensorflow/tfjs-core'] as string;

/**
 * The backends each kernel-registering package patches (its src constructs a KernelRegistry); optional: the application
 * may have only some of them. A new accelerator must be added here, and the test holds its package.json to it.
 */
const PATCHED_BACKENDS: Record<string, { backends: string[]; optional: boolean }> = {
  blas: { backends: ['cpu', 'wasm'], optional: true },
  webgpu: { backends: ['webgpu'], optional: false },
};

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  sideEffects?: boolean | string[];
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => `${e.parentPath}/${e.name}`);
}

/** What a package's src does with tfjs: internal import paths, kernel registries, string literals. */
function scan(pkg: string): { internalImports: string[]; registersKernels: boolean; literals: Set<string> } {
  const internalImports: string[] = [];
  let registersKernels = false;
  const literals = new Set<string>();
  for (const file of sourceFiles(`${root}/packages/${pkg}/src`)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
        if (/^@tensorflow\/tfjs-[\w-]+\/dist\//.test(n.moduleSpecifier.text)) internalImports.push(n.moduleSpecifier.text);
      }
      if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'KernelRegistry') registersKernels = true;
      if (ts.isStringLiteral(n)) literals.add(n.text);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { internalImports, registersKernels, literals };
}

/** Built ESM files whose top level does something (a call, an assignment, a loop), not only declarations. */
function filesWithSideEffects(pkg: string): string[] {
  const dist = `${root}/packages/${pkg}/dist`;
  return readdirSync(dist)
    .filter((f) => f.endsWith('.js'))
    .filter((f) => {
      const sf = ts.createSourceFile(f, readFileSync(`${dist}/${f}`, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
      return sf.statements.some(
        (s) => ts.isExpressionStatement(s) || ts.isIterationStatement(s, false) || ts.isIfStatement(s) || ts.isTryStatement(s) || ts.isBlock(s),
      );
    });
}

describe('scans and claims', () => {
  it('finds what it checks for (the scan is not blind)', () => {
    expect(scan('core').internalImports).toContain('@tensorflow/tfjs-core/dist/register_all_gradients');
    expect(scan('blas').registersKernels).toBe(true);
    expect(scan('models-gpt2-roberta').registersKernels).toBe(false);
  });
});

describe.each(packages)('@peft/%s says what is true', (pkg) => {
  const manifest = JSON.parse(readFileSync(`${root}/packages/${pkg}/package.json`, 'utf8')) as Manifest;
  const found = scan(pkg);

  it('pins tfjs-core exactly where it uses tfjs internals or registers kernels', () => {
    const peer = manifest.peerDependencies?.['@tensorflow/tfjs-core'];
    if (found.internalImports.length > 0 || found.registersKernels) {
      expect(peer, `${pkg} uses ${found.internalImports.join(', ') || 'a backend through its kernels'}`).toBe(TFJS);
    } else if (peer !== undefined) {
      expect(peer).toMatch(/^(\^|~|>=)?\d+\.\d+\.\d+/);
    }
    expect(manifest.dependencies?.['@tensorflow/tfjs-core'], 'tfjs-core is a peer: one copy in the application').toBeUndefined();
  });

  it('declares every backend it registers kernels into as an exact peer', () => {
    const patched = PATCHED_BACKENDS[pkg];
    expect(found.registersKernels, `${pkg}: registers kernels ⇔ listed in PATCHED_BACKENDS`).toBe(patched !== undefined);
    for (const backend of patched?.backends ?? []) {
      const name = `@tensorflow/tfjs-backend-${backend}`;
      expect(found.literals.has(backend), `${pkg}'s src names the backend '${backend}'`).toBe(true);
      expect(manifest.peerDependencies?.[name], `${pkg}: peer ${name}`).toBe(TFJS);
      expect(manifest.dependencies?.[name], `${pkg}: ${name} a peer, not a dependency`).toBeUndefined();
      expect(manifest.peerDependenciesMeta?.[name]?.optional ?? false, `${pkg}: ${name} optional`).toBe(patched!.optional);
    }
  });

  it('has a sideEffects field that matches its build', () => {
    expect(existsSync(`${root}/packages/${pkg}/dist/index.js`), 'run npm run build first').toBe(true);
    const effects = filesWithSideEffects(pkg);
    const claim = manifest.sideEffects;
    if (claim === true) return;
    const listed = new Set(Array.isArray(claim) ? claim : []);
    for (const f of effects) {
      expect(listed.has(`./dist/${f}`), `${pkg}/dist/${f} runs code at load`).toBe(true);
      const cjs = f.replace(/\.js$/, '.cjs');
      if (existsSync(`${root}/packages/${pkg}/dist/${cjs}`)) expect(listed.has(`./dist/${cjs}`), `${pkg}/dist/${cjs} runs code at load`).toBe(true);
    }
    if (effects.length === 0) expect(claim === false || listed.size === 0, `${pkg}: nothing runs at load, sideEffects may be false`).toBe(true);
  });
});
