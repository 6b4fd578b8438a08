#!/usr/bin/env node
// Fails on tests that cannot fail: a skip, todo or only that CI=true can reach, and a test with no assertion.
//
// Every test file (*.test.ts / *.test.mjs) and every helper under a test folder that imports vitest is parsed with
// the TypeScript compiler API (no regexes over source text):
//   - `x.skip(...)`, `x.todo(...)`, `x.only(...)` are errors unless CI=true cannot reach them: inside an `if` whose
//     condition is known under CI (see below) on the branch CI does not take.
//   - `x.skipIf(c)` is an error unless c is known false under CI; `x.runIf(c)` unless c is known true.
//     "Known under CI" is three-valued evaluation with CI=true: `process.env.CI` (and `process.env.CI === 'true'`,
//     `!== 'false'`…) and the guards `underCi` / `inCi` / `isCi` / `onCi` / `CI` are true, `!`, `&&`, `||`, `??`
//     and parentheses combine, a const of the same file is followed to its initialiser, anything else is unknown.
//   - a test (`it` / `test`, `.each`, `.concurrent`, `.skipIf(...)`, …) whose body has no assertion: no `expect`,
//     `assert`, `expectTypeOf`, `assertType`, `.toThrow…`, `.rejects` / `.resolves`, no `throw`, and no call of a
//     function (of the file, or imported from a relative module) that has one.
// A reviewed exception is a comment `// lint-tests: allow <reason>` just above the statement (the reason is
// required), or an entry in ALLOWED below for files another change owns.
//
// Usage: node scripts/lint-tests.mjs [root]   (exit 1 when anything is found; `npm run lint:tests`)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

/** Files whose findings another change fixes (issue 23's parts are split between helpers), with that fix. */
const ALLOWED = {};
const ALLOWED_PREFIXES = {
  'packages/recipes/test/sweep': 'issue 23, part `sweep`: the sweep and its tests move to @peft/sweep',
  'packages/sweep/test': 'issue 23, part `sweep`: the sweep reads typed events in its new package',
};

const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.git', 'coverage', '.turbo']);
const TEST_NAMES = new Set(['it', 'test']);
const SUITE_NAMES = new Set(['describe', 'suite']);
const CI_GUARDS = new Set(['ci', 'underci', 'inci', 'isci', 'onci']);
/** Calls that are true under CI=true or throw there (test/shared-data.ts: a missing data file fails the suite). */
const TRUE_OR_THROW_UNDER_CI = new Set(['haveSharedData']);
const VITEST_MODIFIERS = new Set(['skip', 'only', 'todo', 'skipIf', 'runIf', 'each', 'for', 'concurrent', 'sequential', 'fails', 'shuffle', 'extend', 'scoped']);
const ASSERT_CALLS = new Set(['expect', 'assert', 'expectTypeOf', 'assertType']);
const ASSERT_MEMBERS = /^(toThrow|toThrowError|toThrowErrorMatchingInlineSnapshot|toThrowErrorMatchingSnapshot|rejects|resolves)$/;
const ALLOW_COMMENT = /lint-tests:\s*allow\s+(\S.{7,})/;

function walkFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const isTestFile = (p) => /\.test\.(ts|mts|mjs|js)$/.test(p);
const inTestDir = (rel) => rel.split('/').some((part) => part === 'test' || part === 'tests');

const sources = new Map();
function parse(file) {
  let sf = sources.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
    sources.set(file, sf);
  }
  return sf;
}

// ---- three-valued evaluation under CI=true: true, false, or undefined (unknown) ----

function isProcessEnvCi(node) {
  if (ts.isPropertyAccessExpression(node)) {
    return node.name.text === 'CI' && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'env' && node.expression.expression.getText() === 'process';
  }
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) {
    return node.argumentExpression.text === 'CI' && node.expression.getText() === 'process.env';
  }
  return false;
}

function constInitialiser(sf, name) {
  let found;
  const visit = (n) => {
    if (found) return;
    if (ts.isVariableStatement(n) && n.declarationList.flags & ts.NodeFlags.Const) {
      for (const d of n.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) found = d.initializer;
    }
    if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function evalUnderCi(node, sf, seen = new Set()) {
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) return evalUnderCi(node.expression, sf, seen);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (isProcessEnvCi(node)) return true;
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && TRUE_OR_THROW_UNDER_CI.has(node.expression.text)) return true;
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Boolean' && node.arguments.length === 1) return evalUnderCi(node.arguments[0], sf, seen);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
    const v = evalUnderCi(node.operand, sf, seen);
    return v === undefined ? undefined : !v;
  }
  if (ts.isIdentifier(node)) {
    if (CI_GUARDS.has(node.text.toLowerCase()) || node.text === 'IS_CI') return true;
    if (seen.has(node.text)) return undefined;
    const init = constInitialiser(sf, node.text);
    return init ? evalUnderCi(init, sf, new Set([...seen, node.text])) : undefined;
  }
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
      const l = evalUnderCi(node.left, sf, seen);
      const r = evalUnderCi(node.right, sf, seen);
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) return l === false || r === false ? false : l === true && r === true ? true : undefined;
      if (op === ts.SyntaxKind.BarBarToken) return l === true || r === true ? true : l === false && r === false ? false : undefined;
      return l; // `CI ?? x`: CI is set
    }
    // process.env.CI compared with a string: CI=true
    const [envSide, other] = isProcessEnvCi(node.left) ? [node.left, node.right] : isProcessEnvCi(node.right) ? [node.right, node.left] : [];
    if (envSide && ts.isStringLiteral(other)) {
      const equal = other.text === 'true';
      if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) return equal;
      if (op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) return !equal;
    }
  }
  return undefined;
}

// ---- the pieces of a vitest call ----

/** For `it.skipIf(c)('name', fn)`, `describe.each(rows)('name', fn)`, `it('name', fn)`: the base name and modifiers. */
function chainOf(call) {
  const mods = [];
  let e = call.expression;
  let args = call.arguments; // the arguments of the call whose callee is the next property met
  for (;;) {
    if (ts.isPropertyAccessExpression(e)) {
      mods.unshift({ name: e.name.text, node: e, args });
      args = undefined;
      e = e.expression;
    } else if (ts.isCallExpression(e)) {
      args = e.arguments;
      e = e.expression;
    } else break;
  }
  // `test.reduce(…)` on a local array named `test` is no vitest call: only vitest's own modifiers chain
  if (mods.some((m) => !VITEST_MODIFIERS.has(m.name))) return { base: undefined, mods };
  return { base: ts.isIdentifier(e) ? e.text : undefined, mods };
}

function enclosingStatement(node) {
  let n = node;
  while (n.parent && !ts.isSourceFile(n.parent) && !ts.isBlock(n.parent) && !ts.isCaseClause(n.parent)) n = n.parent;
  return n;
}

function allowReason(node, sf) {
  const stmt = enclosingStatement(node);
  const text = sf.getFullText();
  for (const at of [stmt.getFullStart(), node.getFullStart()]) {
    for (const c of ts.getLeadingCommentRanges(text, at) ?? []) {
      const m = ALLOW_COMMENT.exec(text.slice(c.pos, c.end));
      if (m) return m[1];
    }
  }
  return undefined;
}

/** Whether CI=true cannot reach `node`: it sits on the branch of an `if` (or `?:`) that the CI value rules out. */
function unreachableUnderCi(node, sf) {
  for (let n = node; n.parent; n = n.parent) {
    const p = n.parent;
    if (ts.isIfStatement(p) || ts.isConditionalExpression(p)) {
      const v = evalUnderCi(p.expression ?? p.condition, sf);
      const thenPart = ts.isIfStatement(p) ? p.thenStatement : p.whenTrue;
      const elsePart = ts.isIfStatement(p) ? p.elseStatement : p.whenFalse;
      if (n === thenPart && v === false) return true;
      if (n === elsePart && v === true) return true;
    }
    if (ts.isBinaryExpression(p) && n === p.right) {
      const v = evalUnderCi(p.left, sf);
      if (p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken && v === false) return true;
      if (p.operatorToken.kind === ts.SyntaxKind.BarBarToken && v === true) return true;
    }
  }
  return false;
}

// ---- which functions assert ----

const assertingByFile = new Map();

function resolveImport(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(c) && /\.(ts|mts|mjs|js)$/.test(c)) return c;
  }
  return undefined;
}

/** Named functions of a file, at any depth (a helper inside a describe counts): declarations and consts. */
function functionBodies(sf) {
  const fns = new Map();
  const visit = (n) => {
    if (ts.isFunctionDeclaration(n) && n.name && n.body) fns.set(n.name.text, n.body);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) {
      fns.set(n.name.text, n.initializer.body);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return fns;
}

function importedAsserting(sf, file) {
  const names = new Set();
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || !s.importClause?.namedBindings) continue;
    const target = resolveImport(file, s.moduleSpecifier.text);
    if (!target || !ts.isNamedImports(s.importClause.namedBindings)) continue;
    const theirs = assertingFunctions(target);
    for (const el of s.importClause.namedBindings.elements) if (theirs.has((el.propertyName ?? el.name).text)) names.add(el.name.text);
  }
  return names;
}

/** Whether a body asserts directly, or calls (by name) a function in `asserting`. */
function asserts(body, asserting) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    if (ts.isThrowStatement(n)) found = true;
    else if (ts.isCallExpression(n)) {
      let callee = n.expression;
      while (ts.isPropertyAccessExpression(callee) || ts.isCallExpression(callee)) callee = callee.expression;
      if (ts.isIdentifier(callee) && (ASSERT_CALLS.has(callee.text) || asserting.has(callee.text))) found = true;
    } else if (ts.isPropertyAccessExpression(n) && ASSERT_MEMBERS.test(n.name.text)) found = true;
    else if (ts.isIdentifier(n) && asserting.has(n.text) && isPassedAsArgument(n)) found = true;
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** `run(check)`, `array.forEach(check)`: an asserting function passed on is called. */
function isPassedAsArgument(id) {
  return !!id.parent && ts.isCallExpression(id.parent) && id.parent.arguments.includes(id);
}

function assertingFunctions(file) {
  const cached = assertingByFile.get(file);
  if (cached) return cached;
  const result = new Set();
  assertingByFile.set(file, result); // cycles see what is known so far
  const sf = parse(file);
  for (const n of importedAsserting(sf, file)) result.add(n);
  const fns = functionBodies(sf);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, body] of fns) {
      if (!result.has(name) && asserts(body, result)) {
        result.add(name);
        changed = true;
      }
    }
  }
  return result;
}

function testBody(args, sf) {
  for (const a of args ?? []) {
    if (ts.isArrowFunction(a) || ts.isFunctionExpression(a)) return a.body;
    if (ts.isIdentifier(a)) {
      const body = functionBodies(sf).get(a.text);
      if (body) return body;
    }
  }
  return undefined;
}

// ---- the lint ----

function lintFile(file, rel) {
  const sf = parse(file);
  const problems = [];
  const asserting = assertingFunctions(file);
  const report = (node, message) => {
    const reason = allowReason(node, sf);
    if (reason) return;
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    problems.push(`${rel}:${line + 1}: ${message}`);
  };
  const visit = (n) => {
    if (ts.isCallExpression(n) && !(ts.isCallExpression(n.parent) && n.parent.expression === n)) {
      const { base, mods } = chainOf(n);
      const isVitest = base && (TEST_NAMES.has(base) || SUITE_NAMES.has(base));
      for (const m of mods) {
        if (m.name === 'only' && isVitest) report(m.node, `${base}.only: runs one test and drops the rest`);
        if (m.name === 'todo' && isVitest) report(m.node, `${base}.todo: a test that does not exist yet passes`);
        if (m.name === 'skip' && (isVitest || m.args !== undefined) && !unreachableUnderCi(n, sf)) {
          report(m.node, `${base ?? 'context'}.skip reachable under CI=true (put it on a branch CI does not take, or say why: // lint-tests: allow <reason>)`);
        }
        if ((m.name === 'skipIf' || m.name === 'runIf') && isVitest) {
          const cond = m.args?.[0];
          const v = cond ? evalUnderCi(cond, sf) : undefined;
          const skipsUnderCi = m.name === 'skipIf' ? v !== false : v !== true;
          if (skipsUnderCi && !unreachableUnderCi(n, sf)) {
            report(m.node, `${base}.${m.name}(${cond?.getText(sf) ?? ''}) may skip under CI=true (the condition must be ${m.name === 'skipIf' ? 'false' : 'true'} under CI: reference a CI guard)`);
          }
        }
      }
      if (base && TEST_NAMES.has(base) && !mods.some((m) => m.name === 'todo')) {
        const body = testBody(n.arguments, sf);
        if (isTestFile(file) && body && !asserts(body, asserting)) report(n, `${base}(${n.arguments[0]?.getText(sf).slice(0, 60) ?? ''}): no assertion in its body`);
        if (isTestFile(file) && !body && n.arguments.length > 0 && !n.arguments.some((a) => ts.isIdentifier(a) || ts.isCallExpression(a))) {
          report(n, `${base}(${n.arguments[0]?.getText(sf).slice(0, 60) ?? ''}): a test without a body`);
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return problems;
}

function allowedFor(rel) {
  if (ALLOWED[rel]) return ALLOWED[rel];
  for (const [prefix, reason] of Object.entries(ALLOWED_PREFIXES)) if (rel.startsWith(prefix)) return reason;
  return undefined;
}

export function lintTests(dir = root) {
  const problems = [];
  const allowed = [];
  for (const file of walkFiles(dir)) {
    const rel = relative(dir, file).split('\\').join('/');
    if (rel.startsWith('scripts/') && !inTestDir(rel)) continue;
    const helper = !isTestFile(rel) && inTestDir(rel);
    if (!isTestFile(rel) && !helper) continue;
    if (helper && !/from\s+['"]vitest['"]/.test(readFileSync(file, 'utf8'))) continue;
    const found = lintFile(file, rel);
    const reason = allowedFor(rel);
    if (reason && found.length) allowed.push(...found.map((p) => `${p}  [allowed: ${reason}]`));
    else problems.push(...found);
  }
  return { problems, allowed };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { problems, allowed } = lintTests();
  for (const a of allowed) console.log(a);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`lint:tests: ${problems.length} test(s) that cannot fail (see scripts/lint-tests.mjs)`);
    process.exit(1);
  }
  console.log(`lint:tests: ok${allowed.length ? ` (${allowed.length} allowed, owned by other changes)` : ''}`);
}
