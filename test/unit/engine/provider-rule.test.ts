// The one execution-provider rule (engine/runtime/providers.ts chooseProviderFrom): the engine's own
// chooser and the app's memory estimate both go through it, so 'auto' lands on the same provider for a
// session and for the estimate shown before start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTO_PROVIDER_ORDER, chooseExecutionProvider, chooseProviderFrom, type ExecutionProviderName } from '../../../main/engine/runtime/providers.ts';
import { getDevices } from '../../../main/devices/index.ts';
import { estimateRun } from '../../../main/train/memory-estimate.ts';
import { installFakeNvidiaSmi } from '../devices/fake-nvidia-smi.ts';

const works = (...ok: ExecutionProviderName[]) => (p: ExecutionProviderName) => (ok.includes(p) ? null : `${p} missing`);

test('auto takes the first working provider of cuda, webgpu, cpu and names the skipped ones', () => {
  assert.deepEqual(AUTO_PROVIDER_ORDER, ['cuda', 'webgpu', 'cpu']);
  assert.equal(chooseProviderFrom('auto', works('cuda', 'webgpu', 'cpu')).provider, 'cuda');
  const webgpu = chooseProviderFrom('auto', works('webgpu', 'cpu'));
  assert.equal(webgpu.provider, 'webgpu');
  assert.deepEqual(webgpu.skipped, [{ provider: 'cuda', reason: 'cuda missing' }]);
  assert.equal(webgpu.message, 'execution provider: webgpu (auto; cuda skipped: cuda missing)');
  const cpu = chooseProviderFrom('auto', works('cpu'));
  assert.equal(cpu.message, 'execution provider: cpu (auto; cuda skipped: cuda missing; webgpu skipped: webgpu missing)');
  assert.throws(() => chooseProviderFrom('auto', works()), /no execution provider works: cuda: cuda missing; webgpu: webgpu missing; cpu: cpu missing/);
  // A requested provider is that one or an error, never a fallback; the rule asks about nothing else.
  const asked: ExecutionProviderName[] = [];
  assert.equal(chooseProviderFrom('webgpu', (p) => (asked.push(p), null)).message, 'execution provider: webgpu (requested)');
  assert.deepEqual(asked, ['webgpu']);
  assert.throws(() => chooseProviderFrom('cuda', works('cpu')), /'cuda' was requested but is unavailable: cuda missing/);
});

test("the engine's chooser and the memory estimate land on the same provider for 'auto'", async () => {
  const fake = await installFakeNvidiaSmi();
  const root = await mkdtemp(join(tmpdir(), 'saenggak-provider-rule-'));
  const savedPath = process.env.PATH;
  process.env.PATH = `${fake}:${savedPath}`;
  try {
    const devices = await getDevices(true);
    assert.ok(devices.gpus.length > 0, 'the fake nvidia-smi lists GPUs');
    const dir = join(root, 'models', 'tiny');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, vocab_size: 100, max_position_embeddings: 512, tie_word_embeddings: true }));
    const estimate = await estimateRun(root, 'sft', { model: 'tiny', data: 'x', batchSize: 2, maxSeqLength: 64 }, 'auto');
    // The same rule over the Devices page's probes (a GPU provider counts with a GPU to plan for) …
    const available = (p: string) => devices.providers.some((x) => x.name === p && x.available);
    assert.equal(estimate.device.provider, chooseProviderFrom('auto', (p) => (p === 'cpu' || available(p) ? null : 'unavailable')).provider);
    // … and the engine's own probes agree with them here (no SAENGGAK_DEVICE_PROVIDER override in tests).
    if (!process.env.SAENGGAK_DEVICE_PROVIDER) assert.equal((await chooseExecutionProvider('auto')).provider, estimate.device.provider);
  } finally {
    process.env.PATH = savedPath;
    await getDevices(true);
    await rm(root, { recursive: true, force: true });
    await rm(fake, { recursive: true, force: true });
  }
});
