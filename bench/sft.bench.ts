// npm run bench:sft [-- --steps N --seq 1024 --batch 4 --provider cpu|auto --steps-per-run 1 --skip-torch]
//
// SFT throughput for the `small` preset (Qwen2, hidden 256, 8 layers, tied embeddings) with the compact
// character-level tokenizer of the demo recipe, on packed rows of the Korean arithmetic traces (thinking
// in Korean and English): our engine (FineTuner on the loop step, runs of --steps-per-run steps — 1 is what
// the trainer's 'auto' picks at this size — and on the per-step runner, with the block-diagonal packed
// attention) vs an independent PyTorch eager loop (bench/torch_sft.py) on the same weights and
// the same packed batches (segment-id masks, per-example positions; each micro-batch padded only to its
// longest row, rounded up to a multiple of 32, as the trainer feeds it). Each side runs alone in its own
// process. Prints tokens/s, packing efficiency, peak memory, loss agreement and both sides' bare
// 1024×1024 matmul GFLOP/s; writes bench/results/sft.json.
//
// Fair peer: Debian's python3-torch with OpenBLAS (libopenblas0-pthread), run with OPENBLAS_CORETYPE
// and OPENBLAS_L2_SIZE unset for that command only.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../main/engine/safetensors.ts';
import { FineTuner, type LmBatch } from '../main/models/fine-tune.ts';
import { initWeights } from '../main/models/init.ts';
import { presetConfig } from '../main/models/presets.ts';
import { Tokenizer } from '../main/models/tokenizer.ts';
import { loadModel, saveModel } from '../main/models/weights.ts';
import type { ProviderRequest } from '../main/engine/index.ts';
import { prepareExamples } from '../main/train/sft/data.ts';
import { packingEfficiency, paddedLength, planEpoch, rowsBatch, type BatchPlanOptions } from '../main/train/sft/packing.ts';
import { arithmeticAlphabet, arithmeticProblems, arithmeticRow, writeCompactTokenizer } from '../main/train/tasks/index.ts';
import { ortMatmulGflops } from './lib/ort-matmul.ts';
import { printTable, writeResult } from './lib/results.ts';
import { peakRssBytes } from './lib/rss.ts';

const root = resolve(import.meta.dirname, '..');
const work = join(root, '.tmp', 'bench-sft');
const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' },
    seq: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '4' },
    provider: { type: 'string', default: 'cpu' },
    'skip-torch': { type: 'boolean', default: false },
    worker: { type: 'boolean', default: false },
    runner: { type: 'string', default: 'loop' },
    'steps-per-run': { type: 'string', default: '1' },
  },
});

type BenchSettings = { steps: number; seq: number; batch: number; learning_rate: number; weight_decay: number; max_grad_norm: number; provider: string; packing_efficiency: number; epoch_packing_efficiency: number; full_row_packing_efficiency: number; examples: number; tokens_per_step: number[]; padded_lengths: number[] };
const FEED_NAMES = ['input_ids', 'attention_mask', 'position_ids', 'labels'] as const;
type SideResult = { losses: number[]; step_times_s: number[]; peak_rss_bytes: number; matmul_gflops: number; [key: string]: unknown };

if (args.worker) await engineWorker();
else await main();

/** Model folder, packed batches and settings shared by both sides. */
function prepare(): BenchSettings {
  rmSync(work, { recursive: true, force: true });
  const tokDir = join(work, 'tokenizer');
  writeCompactTokenizer(tokDir, arithmeticAlphabet());
  const tokenizer = Tokenizer.load(tokDir);
  const config = presetConfig('qwen2', 'small', { vocabSize: tokenizer.vocabSize, bosTokenId: null, eosTokenIds: [tokenizer.eosTokenId!], padTokenId: tokenizer.padTokenId, maxPositionEmbeddings: 4096 });
  saveModel(join(work, 'model'), { config, weights: initWeights(config, { seed: 0 }), generationConfig: null }, { tokenizerDir: tokDir });

  const steps = Number(args.steps), seq = Number(args.seq), batch = Number(args.batch);
  const rows = arithmeticProblems({ count: 4000, seed: 7, steps: 3, englishThinkingShare: 0.3 }).map(arithmeticRow);
  const { examples } = prepareExamples(rows, tokenizer, { columns: {}, maxSeqLength: seq, truncation: 'drop', what: 'bench' });
  const plan: BatchPlanOptions = { packing: true, maxSeqLength: seq, batchSize: batch, batchUnit: 'sequences', seed: 1 };
  const epoch = planEpoch(examples, 0, plan);
  const used = epoch.slice(0, steps);
  if (used.length < steps || used.some((b) => b.length < batch)) throw new Error(`bench: only ${epoch.length} micro-batches; lower --steps`);
  // Exactly the trainer's feeds: each step's rows padded to that step's paddedLength (≤ seq).
  const batches: LmBatch[] = used.map((b) => rowsBatch(b, { length: paddedLength(b, plan), padId: tokenizer.padTokenId ?? 0, segmentMask: true }));
  const tensors: Record<string, SafeTensor> = {};
  batches.forEach((b, i) => {
    for (const name of FEED_NAMES) tensors[`step${i}.${name}`] = { dtype: 'I64', shape: [b.batch, b.seq], data: b.feed[name].data as BigInt64Array };
  });
  writeSafetensors(join(work, 'batches.safetensors'), tensors);
  const realTokens = (b: (typeof epoch)[number]) => b.reduce((n, r) => n + r.ids.length, 0);
  const settings: BenchSettings = {
    steps, seq, batch, learning_rate: 3e-4, weight_decay: 0.01, max_grad_norm: 1, provider: args.provider!,
    packing_efficiency: packingEfficiency(used, plan),
    epoch_packing_efficiency: packingEfficiency(epoch, plan),
    // What padding every row to the full row length would give (the trainer's behaviour before).
    full_row_packing_efficiency: used.reduce((n, b) => n + realTokens(b), 0) / (steps * batch * seq),
    examples: examples.length,
    tokens_per_step: used.map(realTokens),
    padded_lengths: batches.map((b) => b.seq),
  };
  writeFileSync(join(work, 'bench.json'), JSON.stringify(settings));
  return settings;
}

/** The engine side, in its own process so its peak RSS is its own. */
async function engineWorker(): Promise<void> {
  const settings = JSON.parse(readFileSync(join(work, 'bench.json'), 'utf8')) as BenchSettings;
  const model = loadModel(join(work, 'model'));
  const data = readSafetensors(join(work, 'batches.safetensors')).tensors;
  const runner = args.runner === 'per-step' ? 'per-step' : 'loop';
  const tuner = await FineTuner.create(model.config, model.weights, { kind: 'full' }, {
    packedSegments: true, maxGradNorm: settings.max_grad_norm, adamw: { weightDecay: settings.weight_decay }, provider: settings.provider as ProviderRequest, runner,
  });
  const batchAt = (step: number): LmBatch => {
    const feed: LmBatch['feed'] = {};
    for (const name of FEED_NAMES) {
      const t = data.get(`step${step}.${name}`)!;
      feed[name] = { dtype: 'int64', dims: [...t.shape], data: t.data as BigInt64Array };
    }
    return { feed, batch: feed.input_ids.dims[0], seq: feed.input_ids.dims[1] };
  };
  const losses: number[] = [];
  const stepTimes: number[] = [];
  // Step 1 alone (it includes session creation), then runs of --steps-per-run steps (the loop's time shared evenly).
  const perRun = runner === 'loop' ? Math.max(1, Number(args['steps-per-run'])) : 1;
  for (let first = 0; first < settings.steps; ) {
    const count = first === 0 ? 1 : Math.min(perRun, settings.steps - first);
    const started = performance.now();
    const run = await tuner.steps(Array.from({ length: count }, (_, i) => [batchAt(first + i)]), new Array(count).fill(settings.learning_rate));
    const seconds = (performance.now() - started) / 1000;
    for (const r of run.steps) {
      stepTimes.push(seconds / count);
      losses.push(r.loss);
      console.error(`engine (${runner}) step ${r.step}: loss ${r.loss.toFixed(6)} in ${((seconds / count) * 1000).toFixed(0)} ms`);
    }
    first += count;
  }
  const peak = peakRssBytes();
  const provider = tuner.runner.provider;
  const traffic = tuner.runner.totalTraffic;
  await tuner.release();
  const matmul = await ortMatmulGflops(1024, 20, provider.provider);
  writeFileSync(join(work, `engine-${runner}.json`), JSON.stringify({ runner, steps_per_run: perRun, losses, step_times_s: stepTimes, peak_rss_bytes: peak, matmul_gflops: matmul, traffic, provider: provider.provider, provider_message: provider.message }));
}

function runEngine(runner: 'loop' | 'per-step'): SideResult | { error: string } {
  console.log(`engine (${runner}): training…`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'sft.bench.ts'), '--worker', '--runner', runner, '--steps-per-run', args['steps-per-run']!], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(r.stderr.split('\n').filter((l) => !/^npm warn/.test(l)).slice(-30).join('\n') + '\n');
  const out = join(work, `engine-${runner}.json`);
  if (r.status !== 0 || !existsSync(out)) return { error: lastError(r.stderr) ?? `engine worker exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

function pythonWithTorch(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  return null;
}

function runTorch(): SideResult | { error: string } {
  const python = pythonWithTorch();
  if (!python) return { error: 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)' };
  console.log('torch: training…');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // the fair-peer rule: this command only
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(python, [join(root, 'bench', 'torch_sft.py'), work], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(r.stderr.split('\n').slice(-25).join('\n') + '\n');
  const out = join(work, 'torch.json');
  if (r.status !== 0 || !existsSync(out)) return { error: lastError(r.stderr) ?? `torch_sft.py exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

function lastError(stderr: string): string | null {
  return stderr.split('\n').map((l) => l.trim()).filter((l) => /error/i.test(l)).at(-1) ?? null;
}

async function main(): Promise<void> {
  const settings = prepare();
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  console.log(`model: small preset (qwen2, hidden 256, 8 layers), compact vocabulary; ${settings.batch} packed rows of up to ${settings.seq} tokens per step, ${settings.steps} steps`);
  console.log(`padded length per step (longest row, rounded up to 32): ${settings.padded_lengths.join(', ')}`);
  console.log(`packing efficiency: ${pct(settings.packing_efficiency)} of the benchmarked batches (goal ≥ 95%), ${pct(settings.epoch_packing_efficiency)} over a whole epoch of ${settings.examples} examples; ${pct(settings.full_row_packing_efficiency)} if padded to full ${settings.seq}-token rows\n`);
  const isOk = (r: SideResult | { error: string }): r is SideResult => !('error' in r);
  /** Real (non-padding) tokens per second over steps 2..N; step 1 includes session creation. */
  const throughput = (r: SideResult) => {
    const tokens = settings.tokens_per_step.slice(1).reduce((a, b) => a + b, 0);
    return tokens / r.step_times_s.slice(1).reduce((a, b) => a + b, 0);
  };
  const load = { engine: os.loadavg()[0], engine_per_step: 0, pytorch: 0 };
  const engine = runEngine('loop');
  load.engine_per_step = os.loadavg()[0];
  const perStep = runEngine('per-step');
  load.pytorch = os.loadavg()[0];
  const torch = args['skip-torch'] ? { error: 'skipped (--skip-torch)' } : runTorch();

  const mib = (b: number) => b / 2 ** 20;
  const cell = (r: SideResult | { error: string }, f: (r: SideResult) => number): string | number => (isOk(r) ? f(r) : 'n/a');
  const ratio = (f: (r: SideResult) => number): string | number => (isOk(engine) && isOk(torch) ? f(engine) / f(torch) : 'n/a');
  const rows: (string | number)[][] = [['', 'engine (loop)', 'engine (per-step)', 'pytorch', 'engine / pytorch']];
  const traffic = (r: SideResult) => ((r.traffic as { hostToDevice: number; deviceToHost: number }).hostToDevice + (r.traffic as { deviceToHost: number }).deviceToHost) / settings.steps / 2 ** 20;
  rows.push(['tokens/s (steps 2..N, non-padding; goal ratio ≥ 1.0)', cell(engine, throughput), cell(perStep, throughput), cell(torch, throughput), ratio(throughput)]);
  rows.push(['first step (s)', cell(engine, (r) => r.step_times_s[0]), cell(perStep, (r) => r.step_times_s[0]), cell(torch, (r) => r.step_times_s[0]), ratio((r) => r.step_times_s[0])]);
  rows.push(['peak RSS (MiB)', cell(engine, (r) => mib(r.peak_rss_bytes)), cell(perStep, (r) => mib(r.peak_rss_bytes)), cell(torch, (r) => mib(r.peak_rss_bytes)), ratio((r) => r.peak_rss_bytes)]);
  rows.push(['host↔device MiB per step', cell(engine, traffic), cell(perStep, traffic), 'n/a', 'n/a']);
  rows.push(['matmul 1024² GFLOP/s', cell(engine, (r) => r.matmul_gflops), cell(perStep, (r) => r.matmul_gflops), cell(torch, (r) => r.matmul_gflops), ratio((r) => r.matmul_gflops)]);
  console.log('');
  printTable(rows);
  console.log('');
  const maxLossDiff = isOk(engine) && isOk(torch) ? Math.max(...engine.losses.map((l, i) => Math.abs(l - torch.losses[i]))) : null;
  if (isOk(engine)) console.log(`engine ${engine.provider_message}`);
  if (isOk(torch)) console.log(`pytorch ${torch.torch_version}, ${torch.threads} threads, BLAS: ${(torch.blas_libraries as string[]).join(', ') || 'unknown'}`);
  if (maxLossDiff !== null) console.log(`max |loss difference| over ${settings.steps} steps: ${maxLossDiff.toExponential(2)}`);
  console.log(`1-minute load average before each side: engine ${load.engine.toFixed(2)}, pytorch ${load.pytorch.toFixed(2)} (${os.cpus().length} cores)`);
  if (!isOk(engine)) console.log(`engine side failed: ${engine.error}`);
  if (!isOk(torch)) console.log(`pytorch side failed: ${torch.error}`);
  const path = writeResult('sft', {
    settings,
    engine: isOk(engine) ? { ...engine, tokens_per_s: throughput(engine) } : engine,
    engine_per_step: isOk(perStep) ? { ...perStep, tokens_per_s: throughput(perStep) } : perStep,
    loop_vs_per_step: isOk(engine) && isOk(perStep) ? throughput(engine) / throughput(perStep) : null,
    pytorch: isOk(torch) ? { ...torch, tokens_per_s: throughput(torch) } : torch,
    throughput_ratio: isOk(engine) && isOk(torch) ? throughput(engine) / throughput(torch) : null,
    peak_rss_ratio: isOk(engine) && isOk(torch) ? engine.peak_rss_bytes / torch.peak_rss_bytes : null,
    packing_efficiency: settings.packing_efficiency,
    max_loss_difference: maxLossDiff,
    load_average_1m_before: load,
  });
  console.log(`\nwrote ${path}`);
}
