#!/usr/bin/env node
// Runs the whole suite with Node's own test runner (each file in its own process).
//   node scripts/test.mjs              unit + e2e
//   node scripts/test.mjs unit         only test/unit
//   node scripts/test.mjs e2e          only test/e2e (builds the renderer first)
//   node scripts/test.mjs path/to/x.test.ts ...
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);

function collect(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files;
const suites = args.filter((a) => a === 'unit' || a === 'e2e');
const explicit = args.filter((a) => a.endsWith('.ts'));
if (explicit.length) files = explicit;
else {
  const wanted = suites.length ? suites : ['unit', 'e2e'];
  files = wanted.flatMap((s) => collect(join(root, 'test', s)));
}

const needsBrowser = files.some((f) => f.includes(`${join('test', 'e2e')}`));
if (needsBrowser) {
  const r = spawnSync('bash', [join(root, 'scripts', 'ensure-chromium.sh')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const b = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

// Per-file timeout 25 min: the learning tests are CPU-bound (~3–7 min on 2 cores) and take 2–3× longer on a
// loaded machine; a timeout is the one place a test would depend on machine speed (issue #31).
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=1500000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SAENGGAK_TEST: '1' } },
);
process.exit(r.status ?? 1);
