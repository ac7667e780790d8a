// Issue #30's memory bound on the small shape: generating holds at most 1.3 × the weights' in-memory size
// plus the KV cache and one layer's activations, over the process without the model (measured in a
// child process: peak resident set after decoding − resident set before the session).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createModelFolder } from '../../../main/models/init.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);

test('small shape: peak RSS over the baseline ≤ 1.3 × weights + KV cache + one layer\'s activations', async () => {
  const dir = join(tempDir('load-memory-'), 'small');
  const { config } = createModelFolder({ family: 'qwen2', preset: 'small', outDir: dir, seed: 1 });
  const promptLength = 64;
  const newTokens = 8;
  const child = join(import.meta.dirname, 'fixtures', 'load-memory-child.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, dir, String(promptLength), String(newTokens)], { cwd: join(import.meta.dirname, '..', '..', '..') });
  const m = JSON.parse(stdout) as { before: number; peak: number; weights: number; tokens: number };
  assert.equal(m.tokens, newTokens);
  const total = promptLength + newTokens;
  const kvCache = 2 * config.numLayers * config.numKvHeads * config.headDim * total * 4;
  // One layer over the prompt: hidden states, q/k/v, attention scores, MLP, plus the last-position logits.
  const activations = 4 * (promptLength * (6 * config.hiddenSize + 3 * config.intermediateSize + config.numHeads * promptLength) + config.vocabSize);
  const bound = 1.3 * m.weights + kvCache + activations;
  const grew = m.peak - m.before;
  assert.ok(grew <= bound, `grew ${(grew / 2 ** 20).toFixed(1)} MiB over the baseline, bound ${(bound / 2 ** 20).toFixed(1)} MiB (weights ${(m.weights / 2 ** 20).toFixed(1)} MiB)`);
  // And the weights are really resident (mapped and read), not a model that silently loaded nothing.
  assert.ok(grew >= 0.5 * m.weights, `grew only ${(grew / 2 ** 20).toFixed(1)} MiB for ${(m.weights / 2 ** 20).toFixed(1)} MiB of weights`);
});
