// The layer rules of .dependency-cruiser.cjs (docs/architecture.md) against a small tree with one import of
// each kind: every forbidden direction is reported under its rule name, type-only imports included, and the
// allowed ones (downward, inside a stage, the verl exporter reading the pipeline, devices using the engine,
// a cycle inside engine/ops, the renderer's type import of the contract) are not. Runs the real depcruise
// CLI with the project's own config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

/** path → source; each file imports what its line says. */
const TREE: Record<string, string> = {
  'main/api/contract.ts': 'export type Info = { n: number };\n',
  // Forbidden.
  'main/store/bad.ts': "import type { Info } from '../api/contract.ts';\nexport const bad: Info = { n: 1 };\n",
  'main/pairs/a.ts': "import { b } from '../data/b.ts';\nexport const a = b;\n",
  'main/pipeline/p.ts': "import { v } from '../export/verl/v.ts';\nexport const p = v;\n",
  'main/pipeline/j.ts': "import { runner } from '../jobs/runner.ts';\nexport const j = runner;\n",
  'main/models/m.ts': "import { l } from '../llm/l.ts';\nexport const m = l;\n",
  'main/rewards/r.ts': "import { s } from '../store/s.ts';\nexport const r = s;\n",
  'main/train/t1.ts': "import type { T2 } from './t2.ts';\nexport type T1 = { t2?: T2 };\n",
  'main/train/t2.ts': "import type { T1 } from './t1.ts';\nexport type T2 = { t1?: T1 };\n",
  'main/eval/up.ts': "import { q } from '../pipeline/q.ts';\nexport const up = q;\n",
  'renderer/src/u.ts': "import { s } from '../../main/store/s.ts';\nexport const u = s;\n",
  // Allowed.
  'main/jobs/runner.ts': "import { q } from '../pipeline/q.ts';\nexport const runner = q;\n",
  'main/data/b.ts': 'export const b = 1;\n',
  'main/data/c.ts': "import { b } from './b.ts';\nexport const c = b;\n",
  'main/export/verl/v.ts': "import { q } from '../../pipeline/q.ts';\nexport const v = q;\n",
  'main/pipeline/q.ts': "import { b } from '../data/b.ts';\nexport const q = b;\n",
  'main/llm/l.ts': "import { r0 } from '../rewards/r0.ts';\nexport const l = r0;\n",
  'main/rewards/r0.ts': 'export const r0 = 0;\n',
  'main/store/s.ts': 'export const s = 0;\n',
  'main/devices/d.ts': "import { e } from '../engine/e.ts';\nexport const d = e;\n",
  'main/engine/e.ts': "import { x } from './ops/x.ts';\nexport const e = x;\n",
  'main/engine/ops/x.ts': "import { y } from './y.ts';\nexport const x = () => y();\n",
  'main/engine/ops/y.ts': "import { x } from './x.ts';\nexport const y = (): unknown => x;\n",
  'renderer/src/ok.ts': "import type { Info } from '../../main/api/contract.ts';\nexport const ok: Info = { n: 0 };\n",
};

const EXPECTED = [
  'base-independent: main/rewards/r.ts → main/store/s.ts',
  // A cycle is reported once, at the module where it was found.
  'no-circular: main/train/t1.ts → main/train/t2.ts',
  'no-up-to-api: main/store/bad.ts → main/api/contract.ts',
  'no-up-to-llm: main/models/m.ts → main/llm/l.ts',
  'no-up-to-orchestration: main/eval/up.ts → main/pipeline/q.ts',
  'pipeline-not-to-jobs: main/pipeline/j.ts → main/jobs/runner.ts',
  'pipeline-not-to-verl: main/pipeline/p.ts → main/export/verl/v.ts',
  'stages-independent: main/pairs/a.ts → main/data/b.ts',
  'ui-only-contract: renderer/src/u.ts → main/store/s.ts',
];

test('every forbidden direction is reported by name, and only those', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saenggak-layers-'));
  try {
    for (const [path, source] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', allowImportingTsExtensions: true, noEmit: true } }));
    const result = spawnSync(process.execPath, [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'main', 'renderer/src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(result.stderr, '');
    const report = JSON.parse(result.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
    const found = report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    assert.deepEqual(found, EXPECTED);
    // The report npm run check:deps prints exits with the number of errors, so `npm test` stops on any.
    const err = spawnSync(process.execPath, [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'main', 'renderer/src', '--config', join(root, '.dependency-cruiser.cjs')], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(err.status, EXPECTED.length, err.stdout);
    assert.match(err.stdout, /9 dependency violations \(9 errors, 0 warnings\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
