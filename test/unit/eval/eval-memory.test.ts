// Issue #30's memory bound for an evaluation on the small shape: its session maps the checkpoint, so running
// the evaluation grows the process by at most 1.3 × the weights plus the KV cache and one layer's activations
// (measured in a child process: peak resident set − resident set once the model is opened). The old path
// (every weight read into JS, then a second copy in onnxruntime) is measured too and must break the bound,
// so the test shows the difference it claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createModelFolder } from '../../../main/models/init.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);

test('small shape: an evaluation grows by ≤ 1.3 × weights + KV cache + one layer\'s activations (the in-memory path does not)', async () => {
  const dir = join(tempDir('eval-memory-'), 'small');
  const { config } = createModelFolder({ family: 'qwen2', preset: 'small', outDir: dir, seed: 1 });
  const newTokens = 8;
  const promptLength = 64; // an upper bound of the one problem's prompt
  const child = join(import.meta.dirname, 'fixtures', 'eval-memory-child.ts');
  const measure = async (path: string) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, dir, String(newTokens), path], { cwd: join(import.meta.dirname, '..', '..', '..') });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { before: number; peak: number; weights: number; n: number };
  };
  const total = promptLength + newTokens;
  const kvCache = 2 * config.numLayers * config.numKvHeads * config.headDim * total * 4;
  const activations = 4 * (promptLength * (6 * config.hiddenSize + 3 * config.intermediateSize + config.numHeads * promptLength) + config.vocabSize);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lean = await measure('lean');
  assert.equal(lean.n, 1);
  const bound = 1.3 * lean.weights + kvCache + activations;
  const grew = lean.peak - lean.before;
  assert.ok(grew <= bound, `grew ${mib(grew)} MiB, bound ${mib(bound)} MiB (weights ${mib(lean.weights)} MiB)`);
  assert.ok(grew >= 0.5 * lean.weights, `grew only ${mib(grew)} MiB for ${mib(lean.weights)} MiB of weights: was the model used?`);
  const old = await measure('in-memory');
  assert.ok(old.peak - old.before > bound, `the in-memory path grew ${mib(old.peak - old.before)} MiB, within the bound ${mib(bound)} MiB: the test would not see a regression`);
});
