import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadModel } from '../../../main/models/weights.ts';
import { referenceLogits } from '../../../main/models/reference.ts';
import { maxRelativeError, tempDir } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
const saenggak = (...args: string[]) => run(process.execPath, [bin, ...args], { maxBuffer: 64 << 20 });

test('saenggak model init → info → logits on a tiny llama', async () => {
  const dir = join(tempDir(), 'tiny-llama');
  const init = JSON.parse((await saenggak('model', 'init', '--arch', 'llama', '--preset', 'tiny', '--out', dir, '--seed', '3', '--json')).stdout);
  assert.equal(init.architecture, 'LlamaForCausalLM');
  assert.ok(init.files.includes('model.safetensors') && init.files.includes('tokenizer.json'));

  const info = JSON.parse((await saenggak('model', 'info', '--model', dir, '--batch', '2', '--seq', '16', '--json')).stdout);
  assert.equal(info.parameters.total, init.parameters);
  assert.equal(info.memory.full.weights, init.parameters * 4);
  assert.equal(info.memory.batchSize, 2);
  const table = (await saenggak('model', 'info', '--model', dir)).stdout;
  assert.match(table, /LlamaForCausalLM: 2 layers, hidden 8/);
  assert.match(table, /AdamW/);

  const ids = [9707, 1879, 0, 151645];
  const out = JSON.parse((await saenggak('model', 'logits', '--model', dir, '--input-ids', ids.join(','), '--json')).stdout);
  assert.equal(out.lastLogits.length, 151669);
  // Independent check: last logits and the cross-entropy recomputed from the full logits.
  const { config, weights } = loadModel(dir);
  const [logits] = referenceLogits(config, weights, { inputIds: [ids] });
  assert.ok(maxRelativeError(out.lastLogits, logits[3]) < 1e-12);
  let ce = 0;
  for (let t = 0; t < 3; t++) {
    const row = logits[t];
    const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    ce += lse - row[ids[t + 1]];
  }
  assert.ok(Math.abs(out.meanCrossEntropy - ce / 3) < 1e-9);
  assert.equal(out.top[0].logit, out.lastLogits.reduce((m: number, x: number) => Math.max(m, x), -Infinity));
});

test('saenggak model commands report bad input clearly', async () => {
  await assert.rejects(saenggak('model', 'init', '--arch', 'gpt2', '--preset', 'tiny', '--out', tempDir()), (err: { stderr: string; code: number }) =>
    err.code === 1 && /--arch must be one of qwen2, qwen3, llama/.test(err.stderr));
  await assert.rejects(saenggak('model', 'info', '--model', tempDir()), (err: { stderr: string }) => /no config\.json in .*folder has: nothing/.test(err.stderr));
  await assert.rejects(saenggak('model', 'logits', '--model', tempDir(), '--input-ids', '1,x'), (err: { stderr: string }) => /comma-separated token ids/.test(err.stderr));
});
