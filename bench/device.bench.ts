// npm run bench:device [-- --providers webgpu,cpu --out FILE --shape small|0.5b]
//
// What issue #20 asks of a lent GPU machine, in one process that records what ran and what did not:
//   decode   the decode loop (one run per generation) and the per-token path, greedy, 128 new tokens, batch
//            1 and 16, tokens/s per provider;
//   sft      loop-step SFT (FineTuner.steps, runs of 4 steps, LoRA r16 on every projection), tokens/s, step
//            time and MFU = 6 × parameters × tokens/s ÷ the device's peak (the peak used is in the result);
// each on every provider asked for (default webgpu, then cpu as the baseline of the same run). A piece that
// fails records its error and the rest go on. Random weights of the preset's shape: speed, not quality.
//
// On the GPU machine nothing from npm is reachable, so scripts/device-pack.mjs bundles this file into
// .device/ with a Node binary and onnxruntime-node's linux-x64 libraries, and .device/run.sh runs it there
// (README in .device/). Here it runs as `npm run bench:device -- --providers cpu`, which is how it is tested.
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chooseExecutionProvider, type ProviderRequest } from '../main/engine/index.ts';
import { DecodeLoop } from '../main/models/decode-loop.ts';
import { DecoderSession } from '../main/models/decoder-session.ts';
import { FineTuner, lmBatch } from '../main/models/fine-tune.ts';
import { generate } from '../main/models/generate.ts';
import { initWeights, SeededRandom } from '../main/models/init.ts';
import { parameterCounts } from '../main/models/memory.ts';
import { loraConfig } from '../main/models/peft.ts';
import { presetConfig } from '../main/models/presets.ts';
import { releaseConfig } from '../main/models/release-presets.ts';

const { values: args } = parseArgs({
  options: {
    providers: { type: 'string', default: 'webgpu,cpu' },
    out: { type: 'string', default: 'bench/results/device.json' },
    shape: { type: 'string', default: 'small' },
    'new-tokens': { type: 'string', default: '128' },
    'sft-steps': { type: 'string', default: '8' },
  },
});
/** Dense fp16/bf16 tensor peak of the cards this project is lent (vendor figures), for MFU. */
const PEAK_FLOPS: Record<string, number> = { h100: 989e12, h200: 989e12, cpu: 0 };

const config = args.shape === '0.5b' ? releaseConfig('qwen2', 'qwen2.5-0.5b') : presetConfig('qwen2', 'small', { vocabSize: 32000, bosTokenId: null, eosTokenIds: [2], padTokenId: 0 });
const weights = initWeights(config, { seed: 1, std: 0.02 });
const parameters = parameterCounts(config).total;
const newTokens = Number(args['new-tokens']);
const result: Record<string, unknown> = {
  benchmark: 'device',
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: os.totalmem() / 2 ** 30, node: process.version, loadAverage: os.loadavg(), gpu: process.env.SAENGGAK_GPU_NAME ?? null },
  shape: args.shape,
  parameters,
  runs: {} as Record<string, unknown>,
};
const runs = result.runs as Record<string, Record<string, unknown>>;

async function attempt<T>(provider: string, what: string, fn: () => Promise<T>): Promise<void> {
  const started = performance.now();
  try {
    (runs[provider] ??= {})[what] = await fn();
    console.log(`${provider} ${what}: ${JSON.stringify(runs[provider][what])}`);
  } catch (error) {
    (runs[provider] ??= {})[what] = { error: String((error as Error)?.message ?? error).split('\n').slice(0, 3).join(' | '), seconds: (performance.now() - started) / 1000 };
    console.log(`${provider} ${what} FAILED: ${(runs[provider][what] as { error: string }).error}`);
  }
  writeFileSync(args.out!, JSON.stringify(result, null, 2) + '\n'); // after every piece: a later crash keeps what ran
}

async function decode(provider: ProviderRequest, batch: number, path: 'loop' | 'per-token') {
  const rng = new SeededRandom(3);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: 16 }, () => 3 + rng.int(config.vocabSize - 3)));
  const options = { maxNewTokens: newTokens, stopTokenIds: [] as number[] };
  if (path === 'per-token') {
    const session = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true, provider });
    await generate(session, prompts, { ...options, maxNewTokens: 4 });
    const t = performance.now();
    await generate(session, prompts, options);
    const seconds = (performance.now() - t) / 1000;
    await session.release();
    return { batch, path, seconds, tokens_per_s: (batch * newTokens) / seconds };
  }
  const loop = DecodeLoop.create(config, weights, { provider });
  await loop.generate(prompts, { ...options, maxNewTokens: 4 });
  const t = performance.now();
  const { traffic } = await loop.generate(prompts, options);
  const seconds = (performance.now() - t) / 1000;
  await loop.release();
  return { batch, path, seconds, tokens_per_s: (batch * newTokens) / seconds, traffic };
}

async function sft(provider: ProviderRequest) {
  const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  const tuner = await FineTuner.create(config, weights, { kind: 'lora', lora: loraConfig({ r: 16, loraAlpha: 32, targetModules: targets }), seed: 1 }, { provider, gradientCheckpointing: true });
  const batch = lmBatch(Array.from({ length: 4 }, (_, b) => ({ ids: Array.from({ length: 512 }, (_, t) => 3 + ((b * 7919 + t * 104729) % (config.vocabSize - 3))) })));
  const t0 = performance.now();
  await tuner.steps([[batch]], [1e-4]); // session creation + first step
  const firstSeconds = (performance.now() - t0) / 1000;
  const steps = Number(args['sft-steps']);
  const t = performance.now();
  for (let done = 0; done < steps; done += 4) await tuner.steps(Array.from({ length: Math.min(4, steps - done) }, () => [batch]), new Array(Math.min(4, steps - done)).fill(1e-4));
  const seconds = (performance.now() - t) / 1000;
  const runner = tuner.runner;
  await tuner.release();
  const tokensPerS = (steps * 4 * 512) / seconds;
  const peak = PEAK_FLOPS[String(process.env.SAENGGAK_GPU_KIND ?? (provider === 'cpu' ? 'cpu' : 'h100'))] ?? 0;
  return { runner: runner.kind, provider: runner.provider.provider, batch: '4 × 512', first_step_s: firstSeconds, step_s: seconds / steps, tokens_per_s: tokensPerS, mfu: peak ? (6 * parameters * tokensPerS) / peak : null, peak_flops: peak || null, traffic: runner.totalTraffic };
}

for (const provider of args.providers!.split(',') as ProviderRequest[]) {
  await attempt(provider, 'provider', async () => {
    const chosen = await chooseExecutionProvider(provider);
    if (chosen.provider !== provider) throw new Error(`asked for ${provider}, got ${chosen.provider}: ${chosen.message}`);
    return chosen.message;
  });
  if ((runs[provider].provider as { error?: string })?.error) continue;
  for (const batch of [1, 16]) for (const path of ['loop', 'per-token'] as const) await attempt(provider, `decode_b${batch}_${path}`, () => decode(provider, batch, path));
  await attempt(provider, 'sft_lora_loop', () => sft(provider));
}
console.log(`wrote ${args.out}`);
