// `npm run bench:scale` → bench/results/scale.json: training at the released shapes (issue #19).
//
// Cases: Qwen2.5-1.5B with LoRA (r 16, every projection) and Qwen2.5-0.5B with full fine-tuning, one
// sequence of 512 tokens, activation checkpointing and chunked cross-entropy (8 vocabulary blocks), float32
// on the CPU. Each case runs in its own process (its peak RSS is its own) under `flock /tmp/bigmem.lock`
// (one big process on the machine at a time), with random weights of the exact shape (no download):
//   tokens_per_s   B·S / mean time of the timed steps (after one warm-up step that creates the session)
//   peak_rss       the process's peak resident set (everything: weights, session, state, activations)
//   planner        models/memory-plan.ts's peakBytes for the same options; planner_error = |est − peak| / peak
//   vs_torch       tokens/s over those of the same step in PyTorch (bench/torch_scale.py: Debian's torch,
//                  float32, torch.utils.checkpoint per layer), run in the same bench.
//
//   npm run bench:scale                 the released shapes (needs ~19 GiB free; minutes per step on 2 cores)
//   npm run bench:scale -- --layers 2   the same shapes cut to 2 decoder layers (a quick check of the harness and planner)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FineTuner, lmBatch, type TuningMethod } from '../main/models/fine-tune.ts';
import { initWeights } from '../main/models/init.ts';
import { planTrainingMemory } from '../main/models/memory-plan.ts';
import { loraConfig } from '../main/models/peft.ts';
import { releaseConfig, type ReleasePresetName } from '../main/models/release-presets.ts';
import { printTable, writeResult } from './lib/results.ts';
import { peakRssBytes } from './lib/rss.ts';

type Case = { name: string; preset: ReleasePresetName; method: 'full' | 'lora'; batch: number; seq: number; loraRank: number; checkpointing: boolean; lossChunks: number; layers?: number; steps: number };
type EngineResult = { tokensPerSecond: number; stepSeconds: number[]; warmupSeconds: number; peakRssBytes: number; plannerBytes: number; loss: number[] };

const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

function caseConfig(c: Case) {
  const config = releaseConfig('qwen2', c.preset);
  return c.layers ? { ...config, numLayers: c.layers } : config;
}

/** One case in this process (the child side). */
async function runEngine(c: Case): Promise<EngineResult> {
  const config = caseConfig(c);
  const weights = initWeights(config, { seed: 1, std: 0.02 });
  const method: TuningMethod = c.method === 'lora' ? { kind: 'lora', lora: loraConfig({ r: c.loraRank, loraAlpha: 2 * c.loraRank, targetModules: LORA_TARGETS }), seed: 1 } : { kind: 'full' };
  const started = performance.now();
  const tuner = await FineTuner.create(config, weights, method, {
    provider: 'cpu', gradientCheckpointing: c.checkpointing, lossChunks: c.lossChunks, precision: 'fp32',
    // SCALE_NO_PREPACK=1: measure without MLAS's packed copies of constant Gemm weights.
    sessionOptions: process.env.SCALE_NO_PREPACK ? { extra: { session: { disable_prepacking: '1' } } } : undefined,
  });
  const examples = Array.from({ length: c.batch }, (_, b) => ({ ids: Array.from({ length: c.seq }, (_, t) => 100 + ((b * 7919 + t * 104729) % 150000)) }));
  const batch = lmBatch(examples);
  const loss = [(await tuner.step(batch, 1e-5)).loss];
  const warmupSeconds = (performance.now() - started) / 1000;
  const stepSeconds: number[] = [];
  for (let i = 0; i < c.steps; i++) {
    const t = performance.now();
    loss.push((await tuner.step(batch, 1e-5)).loss);
    stepSeconds.push((performance.now() - t) / 1000);
  }
  await tuner.release();
  const mean = stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length;
  const plan = planTrainingMemory(config, { batchSize: c.batch, seqLength: c.seq, method: c.method, loraRank: c.loraRank, loraTargets: LORA_TARGETS, checkpointing: c.checkpointing, lossChunks: c.lossChunks, device: 'cpu' });
  return { tokensPerSecond: (c.batch * c.seq) / mean, stepSeconds, warmupSeconds, peakRssBytes: peakRssBytes(), plannerBytes: plan.peakBytes, loss };
}

/** Runs `command` under the machine's big-memory lock and returns its stdout's last line as JSON. */
function locked(command: string[], what: string): Record<string, unknown> {
  const out = spawnSync('flock', ['/tmp/bigmem.lock', ...command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (out.status !== 0) throw new Error(`${what} failed (exit ${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

function runTorch(c: Case): { tokensPerSecond: number; peakRssBytes: number; stepSeconds: number[] } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scale-torch-'));
  try {
    const config = caseConfig(c);
    const spec = JSON.stringify({ ...c, hidden: config.hiddenSize, intermediate: config.intermediateSize, layers: config.numLayers, heads: config.numHeads, kvHeads: config.numKvHeads, headDim: config.headDim, vocab: config.vocabSize, ropeTheta: config.ropeTheta, eps: config.rmsNormEps, tied: config.tieWordEmbeddings, loraTargets: LORA_TARGETS });
    // Debian's python3 has python3-torch; a pyenv shim first on PATH would not.
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const result = locked([python, resolve(import.meta.dirname, 'torch_scale.py'), spec], `torch ${c.name}`);
    return result as { tokensPerSecond: number; peakRssBytes: number; stepSeconds: number[] };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--worker') {
    process.stdout.write(JSON.stringify(await runEngine(JSON.parse(args[1]) as Case)) + '\n');
    return;
  }
  const layersAt = args.indexOf('--layers');
  const layers = layersAt >= 0 ? Number(args[layersAt + 1]) : undefined;
  const steps = layers ? 2 : 1;
  const cases: Case[] = [
    { name: 'qwen2.5-1.5b lora r16 seq512', preset: 'qwen2.5-1.5b', method: 'lora', batch: 1, seq: 512, loraRank: 16, checkpointing: true, lossChunks: 8, layers, steps },
    { name: 'qwen2.5-0.5b full seq512', preset: 'qwen2.5-0.5b', method: 'full', batch: 1, seq: 512, loraRank: 16, checkpointing: true, lossChunks: 8, layers, steps },
  ];
  const rows: Record<string, unknown>[] = [];
  for (const c of cases) {
    console.error(`bench:scale: ${c.name}${layers ? ` (${layers} layers)` : ''}: engine…`);
    const engine = locked([process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'scale.bench.ts'), '--worker', JSON.stringify(c)], `engine ${c.name}`) as unknown as EngineResult;
    console.error(`bench:scale: ${c.name}: PyTorch…`);
    const torch = runTorch(c);
    const plannerError = Math.abs(engine.plannerBytes - engine.peakRssBytes) / engine.peakRssBytes;
    rows.push({
      case: c.name,
      ...c,
      tokens_per_s: engine.tokensPerSecond,
      step_seconds: engine.stepSeconds,
      warmup_seconds: engine.warmupSeconds,
      peak_rss_bytes: engine.peakRssBytes,
      planner_bytes: engine.plannerBytes,
      planner_error: plannerError,
      loss: engine.loss,
      torch,
      vs_torch: 'tokensPerSecond' in torch ? engine.tokensPerSecond / torch.tokensPerSecond : null,
    });
  }
  const GiB = 2 ** 30;
  printTable([
    ['case', 'tokens/s', 'peak RSS GiB', 'planner GiB', 'planner_error', 'torch tokens/s', 'torch RSS GiB', 'vs_torch'],
    ...rows.map((r) => {
      const t = r.torch as { tokensPerSecond?: number; peakRssBytes?: number };
      return [String(r.case), r.tokens_per_s as number, (r.peak_rss_bytes as number) / GiB, (r.planner_bytes as number) / GiB, r.planner_error as number, t.tokensPerSecond ?? NaN, (t.peakRssBytes ?? NaN) / GiB, (r.vs_torch as number | null) ?? NaN];
    }),
  ]);
  const path = writeResult(layers ? `scale-${layers}-layers` : 'scale', { layers: layers ?? 'released', cases: rows, goals: { planner_error: '≤ 0.15', vs_torch: '≥ 1.0' } });
  console.log(`wrote ${path}`);
  void readFileSync;
}

await main();
