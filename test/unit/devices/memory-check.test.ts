// The memory check before start against a chosen GPU's free memory (#21): with the fake nvidia-smi's two
// GPUs, `device: cuda:1` is checked against GPU 1's total minus used, a model too big for it is refused
// with advice, and a GPU that does not exist is named with the ones that do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevices } from '../../../main/devices/index.ts';
import { estimateRun } from '../../../main/train/memory-estimate.ts';
import { installFakeNvidiaSmi, fakeReading } from './fake-nvidia-smi.ts';
import { writeQwen2Config } from '../../helpers/model-fixtures.ts';

test('runs are checked against the chosen GPU’s free memory; a missing GPU is named', async () => {
  const fake = await installFakeNvidiaSmi();
  const root = await mkdtemp(join(tmpdir(), 'saenggak-memcheck-'));
  const savedPath = process.env.PATH;
  process.env.PATH = `${fake}:${savedPath}`;
  try {
    await getDevices(true);
    writeQwen2Config(join(root, 'models', 'tiny'));
    const base = { model: 'tiny', data: 'x', batchSize: 4, maxSeqLength: 128 };
    const small = await estimateRun(root, 'sft', base, 'auto', 'cuda:1');
    const free1 = (24564 - fakeReading(1, 0).memoryUsedMiB) * 2 ** 20;
    assert.deepEqual(small.device, { provider: 'cuda', name: 'cuda:1 NVIDIA GeForce RTX 4090', memoryBytes: free1 });
    assert.equal(small.fits, true);

    // A 7B-sized full fine-tune does not fit 24 GB: refused with ways out.
    writeQwen2Config(join(root, 'models', 'big'), { hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, tie_word_embeddings: false });
    const big = await estimateRun(root, 'sft', { ...base, model: 'big' }, 'auto', 'cuda:1');
    assert.equal(big.fits, false);
    assert.ok(big.total > free1);
    assert.ok(big.advice.length > 0);

    // Without a device the first GPU's free memory (not its total) is what a run can have.
    const auto = await estimateRun(root, 'sft', base, 'cuda');
    assert.equal(auto.device.memoryBytes, (81920 - fakeReading(0, 0).memoryUsedMiB) * 2 ** 20);

    await assert.rejects(estimateRun(root, 'sft', base, 'auto', 'cuda:4'), /there is no GPU 4; devices here: cpu, .*cuda:0 \(NVIDIA A100-SXM4-80GB\), cuda:1 \(NVIDIA GeForce RTX 4090\)/);
  } finally {
    process.env.PATH = savedPath;
    await rm(root, { recursive: true, force: true });
    await rm(fake, { recursive: true, force: true });
  }
});
