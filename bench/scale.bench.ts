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
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { FineTuner, lmBatch, type TuningMethod } from '../main/models/fine-tune.ts';
import { initWeights } from '../main/models/init.ts';
import { planTrainingMemory } from '../main/models/memory-plan.ts';
import { loraConfig } from '../main/models/peft.ts';
import { releaseConfig, type ReleasePresetName } from '../main/models/release-presets.ts';
import { printTable, RESULTS_DIR, writeResult } from './lib/results.ts';
import { peakRssBytes } from './lib/rss.ts';

type Case = {
  name: string; preset: ReleasePresetName; method: 'full' | 'lora'; batch: number; seq: number; loraRank: number; checkpointing: boolean; lossChunks: number; layers?: number; steps: number;
  /** 'sft' (default): FineTuner steps; 'grpo': a GRPO policy step (old log-probs from the scorer, then the update) on `batch` rows = one group. */
  kind?: 'sft' | 'grpo';
  /** GRPO: prompt tokens of each row (the rest of `seq` is the completion). */
  promptTokens?: number;
  /** Config fields replaced (planner calibration on small shapes: vocabulary, hidden size, …). */
  overrides?: Record<string, unknown>;
};
type EngineResult = { tokensPerSecond: number; stepSeconds: number[]; warmupSeconds: number; peakRssBytes: number; plannerBytes: number; loss: number[]; phases: Phase[]; plannerBreakdown: Record<string, number> };
/** RSS after each phase of the worker: `peak` is the high-water mark so far (so a phase's own peak shows where it rises). */
type Phase = { phase: string; rssBytes: number; peakBytes: number; seconds: number };

const T0 = performance.now();
function rssNow(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}
function phase(phases: Phase[], name: string): void {
  phases.push({ phase: name, rssBytes: rssNow(), peakBytes: peakRssBytes(), seconds: (performance.now() - T0) / 1000 });
  if (process.env.SCALE_VERBOSE) console.error(`  ${name}: rss ${(rssNow() / 2 ** 30).toFixed(2)} GiB, peak ${(peakRssBytes() / 2 ** 30).toFixed(2)} GiB`);
}

const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

function caseConfig(c: Case) {
  const config = releaseConfig('qwen2', c.preset);
  return { ...config, ...(c.layers ? { numLayers: c.layers } : {}), ...c.overrides } as typeof config;
}

/** One case in this process (the child side). */
async function runEngine(c: Case): Promise<EngineResult> {
  const config = caseConfig(c);
  const phases: Phase[] = [];
  phase(phases, 'start');
  const weights = initWeights(config, { seed: 1, std: 0.02 });
  phase(phases, 'weights');
  const method: TuningMethod = c.method === 'lora' ? { kind: 'lora', lora: loraConfig({ r: c.loraRank, loraAlpha: 2 * c.loraRank, targetModules: LORA_TARGETS }), seed: 1 } : { kind: 'full' };
  const started = performance.now();
  const tuner = await FineTuner.create(config, weights, method, {
    provider: 'cpu', gradientCheckpointing: c.checkpointing, lossChunks: c.lossChunks, precision: 'fp32',
    // SCALE_RUNNER=per-step: the one-run-per-micro-batch runner instead of the loop step (the default).
    runner: process.env.SCALE_RUNNER === 'per-step' ? 'per-step' : 'loop',
    // SCALE_NO_PREPACK=1: measure without MLAS's packed copies of constant Gemm weights.
    sessionOptions: process.env.SCALE_NO_PREPACK ? { extra: { session: { disable_prepacking: '1' } } } : undefined,
  });
  const examples = Array.from({ length: c.batch }, (_, b) => ({ ids: Array.from({ length: c.seq }, (_, t) => 100 + ((b * 7919 + t * 104729) % Math.min(150000, config.vocabSize - 100))) }));
  const batch = lmBatch(examples);
  phase(phases, 'session');
  const loss = [(await tuner.step(batch, 1e-5)).loss];
  const warmupSeconds = (performance.now() - started) / 1000;
  phase(phases, 'step 1');
  const stepSeconds: number[] = [];
  for (let i = 0; i < c.steps; i++) {
    const t = performance.now();
    loss.push((await tuner.step(batch, 1e-5)).loss);
    stepSeconds.push((performance.now() - t) / 1000);
    phase(phases, `step ${i + 2}`);
  }
  await tuner.release();
  const mean = stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length;
  const plan = planTrainingMemory(config, { batchSize: c.batch, seqLength: c.seq, method: c.method, loraRank: c.loraRank, loraTargets: LORA_TARGETS, checkpointing: c.checkpointing, lossChunks: c.lossChunks, device: 'cpu', runner: process.env.SCALE_RUNNER === 'per-step' ? 'per-step' : 'loop' });
  return { tokensPerSecond: (c.batch * c.seq) / mean, stepSeconds, warmupSeconds, peakRssBytes: peakRssBytes(), plannerBytes: plan.peakBytes, loss, phases, plannerBreakdown: { ...plan.breakdown } };
}

/** A GRPO step as the trainer takes it after its rollouts: old log-probs of the group from the scorer, then one update. */
async function runGrpo(c: Case): Promise<EngineResult> {
  const { Policy, packBatch } = await import('../main/train/grpo/policy.ts');
  const config = caseConfig(c);
  const phases: Phase[] = [];
  phase(phases, 'start');
  const weights = initWeights(config, { seed: 1, std: 0.02 });
  // The released model is a bf16 checkpoint (`model init --dtype BF16`), widened to float32 on load: the
  // same values here (rounded to bf16), so the scorer keeps its frozen weights as bf16 as it does for it.
  for (const t of weights.values()) {
    const bits = new Uint32Array((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).length);
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] + 0x8000) & 0xffff0000;
  }
  phase(phases, 'weights');
  const started = performance.now();
  const method = { kind: 'lora' as const, r: c.loraRank, alpha: 2 * c.loraRank, dropout: 0, targetModules: LORA_TARGETS, useRslora: false };
  const policy = await Policy.create(config, weights, method, {
    objective: { epsLow: 0.2, epsHigh: 0.28, clipMode: 'standard', aggregation: 'token', beta: 0, maxNewTokens: c.seq - (c.promptTokens ?? 0) },
    adamw: { weightDecay: 0, beta1: 0.9, beta2: 0.999 }, maxGradNorm: 1, provider: 'cpu', gradientCheckpointing: c.checkpointing,
  });
  phase(phases, 'policy');
  const prompt = c.promptTokens ?? Math.floor(c.seq / 2);
  const rows = Array.from({ length: c.batch }, (_, b) => ({
    prompt: Array.from({ length: prompt }, (_, t) => 100 + ((t * 104729) % Math.min(150000, config.vocabSize - 100))),
    response: Array.from({ length: c.seq - prompt }, (_, t) => 100 + ((b * 7919 + (t + prompt) * 104729) % Math.min(150000, config.vocabSize - 100))),
  }));
  const batch = packBatch(rows, 0, { exact: true });
  const advantages = Float32Array.from({ length: c.batch }, (_, b) => (b % 2 ? -1 : 1));
  const loss: number[] = [];
  const stepSeconds: number[] = [];
  let warmupSeconds = 0;
  for (let i = 0; i <= c.steps; i++) {
    const t = performance.now();
    const oldLogProbs = await policy.logProbs(batch);
    phase(phases, `step ${i + 1} log-probs`);
    loss.push((await policy.update(batch, { oldLogProbs, advantages }, 1e-5)).loss);
    phase(phases, `step ${i + 1} update`);
    if (i === 0) warmupSeconds = (performance.now() - started) / 1000;
    else stepSeconds.push((performance.now() - t) / 1000);
  }
  await policy.release();
  const mean = stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length;
  const plan = planTrainingMemory(config, { batchSize: c.batch, seqLength: c.seq, method: c.method, loraRank: c.loraRank, loraTargets: LORA_TARGETS, checkpointing: c.checkpointing, device: 'cpu', grpo: true, scorerWeightBytes: 2 });
  return { tokensPerSecond: (c.batch * c.seq) / mean, stepSeconds, warmupSeconds, peakRssBytes: peakRssBytes(), plannerBytes: plan.peakBytes, loss, phases, plannerBreakdown: { ...plan.breakdown } };
}

/** Runs `command` under the machine's big-memory lock and returns its stdout's last line as JSON. */
function locked(command: string[], what: string): Record<string, unknown> {
  const out = spawnSync('flock', ['/tmp/bigmem.lock', ...command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (out.status !== 0) throw new Error(`${what} failed (exit ${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** MemAvailable from /proc/meminfo, in bytes (what the kernel can hand out without swapping or killing). */
function memAvailable(): number {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Never let the bench be what pushes the shared machine into the OOM killer: the worker dies first. */
export const GUARD_BYTES = 700 * 2 ** 20;

/**
 * Like `locked`, for the full-depth runs: the worker runs under the big-memory lock, and a watchdog kills it
 * (its own process, by id) if the machine's MemAvailable falls under GUARD_BYTES. Returns null with the
 * reason when killed or failed.
 */
async function lockedGuarded(command: string[], what: string): Promise<{ result: Record<string, unknown> | null; error?: string; minAvailableBytes: number }> {
  return new Promise((done) => {
    const child = spawn('flock', ['/tmp/bigmem.lock', ...command], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    let killed: string | undefined;
    let minAvailable = Infinity;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setInterval(() => {
      const available = memAvailable();
      minAvailable = Math.min(minAvailable, available);
      if (available < GUARD_BYTES && !killed) {
        killed = `stopped by the memory guard: MemAvailable ${(available / 2 ** 30).toFixed(2)} GiB < ${(GUARD_BYTES / 2 ** 30).toFixed(2)} GiB`;
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
    }, 500);
    child.on('close', (code) => {
      clearInterval(timer);
      if (killed || code !== 0) return done({ result: null, error: killed ?? `${what} failed (exit ${code})`, minAvailableBytes: minAvailable });
      done({ result: JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>, minAvailableBytes: minAvailable });
    });
  });
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
    const c = JSON.parse(args[1]) as Case;
    process.stdout.write(JSON.stringify(await (c.kind === 'grpo' ? runGrpo(c) : runEngine(c))) + '\n');
    return;
  }
  if (args.includes('--full-depth')) return fullDepth(args);
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
  const perStep = process.env.SCALE_RUNNER === 'per-step' ? '-per-step' : '';
  const path = writeResult(`${layers ? `scale-${layers}-layers` : 'scale'}${perStep}`, { layers: layers ?? 'released', runner: perStep ? 'per-step' : 'loop', cases: rows, goals: { planner_error: '≤ 0.15', vs_torch: '≥ 1.0' } });
  console.log(`wrote ${path}`);
}

/**
 * `npm run bench:scale -- --full-depth [--layers N]` → bench/results/scale-1.5b.json: one LoRA SFT step and
 * one GRPO step (group 4, 32-token completions; `--grpo` alone → scale-1.5b-grpo.json) of the full 28-layer Qwen2.5-1.5B shape on the CPU, float32,
 * checkpointing: peak RSS against the planner, seconds per step, RSS after each phase. `--layers N` runs
 * the same at N layers (where the machine cannot hold 28): the result says so.
 */
async function fullDepth(args: string[]): Promise<void> {
  if (args.includes('--extrapolate')) return extrapolate(args);
  const layersAt = args.indexOf('--layers');
  const layers = layersAt >= 0 ? Number(args[layersAt + 1]) : undefined;
  const only = args.includes('--sft') ? 'sft' : args.includes('--grpo') ? 'grpo' : undefined;
  const cases: Case[] = [
    { name: 'qwen2.5-1.5b lora r16 sft seq128', kind: 'sft', preset: 'qwen2.5-1.5b', method: 'lora', batch: 1, seq: 128, loraRank: 16, checkpointing: true, lossChunks: 8, layers, steps: 1 },
    { name: 'qwen2.5-1.5b lora r16 grpo group4 32+32', kind: 'grpo', preset: 'qwen2.5-1.5b', method: 'lora', batch: 4, seq: 64, promptTokens: 32, loraRank: 16, checkpointing: true, lossChunks: 1, layers, steps: 1 },
  ].filter((c) => !only || c.kind === only) as Case[];
  const rows: Record<string, unknown>[] = [];
  for (const c of cases) {
    const config = caseConfig(c);
    const plan = planTrainingMemory(config, { batchSize: c.batch, seqLength: c.seq, method: c.method, loraRank: c.loraRank, loraTargets: LORA_TARGETS, checkpointing: c.checkpointing, lossChunks: c.kind === 'grpo' ? undefined : c.lossChunks, device: 'cpu', grpo: c.kind === 'grpo', scorerWeightBytes: 2 });
    const available = memAvailable();
    console.error(`bench:scale --full-depth: ${c.name} (${config.numLayers} layers): planner ${(plan.peakBytes / 2 ** 30).toFixed(2)} GiB, MemAvailable ${(available / 2 ** 30).toFixed(2)} GiB…`);
    const started = performance.now();
    const run = await lockedGuarded([process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'scale.bench.ts'), '--worker', JSON.stringify(c)], c.name);
    const engine = run.result as unknown as EngineResult | null;
    rows.push({
      case: c.name,
      ...c,
      layers: config.numLayers,
      full_depth: config.numLayers === releaseConfig('qwen2', c.preset).numLayers,
      mem_available_before_bytes: available,
      min_mem_available_bytes: run.minAvailableBytes,
      wall_seconds: (performance.now() - started) / 1000,
      ...(engine
        ? {
            step_seconds: engine.stepSeconds,
            first_step_seconds: engine.warmupSeconds,
            tokens_per_s: engine.tokensPerSecond,
            peak_rss_bytes: engine.peakRssBytes,
            planner_bytes: engine.plannerBytes,
            planner_error: (engine.plannerBytes - engine.peakRssBytes) / engine.peakRssBytes,
            planner_breakdown: engine.plannerBreakdown,
            phases: engine.phases,
            loss: engine.loss,
          }
        : { error: run.error, planner_bytes: plan.peakBytes }),
    });
  }
  const GiB = 2 ** 30;
  printTable([
    ['case', 'layers', 's/step', 'peak RSS GiB', 'planner GiB', 'planner_error (signed)'],
    ...rows.map((r) => [String(r.case), r.layers as number, ((r.step_seconds as number[] | undefined) ?? [NaN])[0], ((r.peak_rss_bytes as number | undefined) ?? NaN) / GiB, (r.planner_bytes as number) / GiB, (r.planner_error as number | undefined) ?? NaN]),
  ]);
  // The full-depth GRPO step alone has its own file (issue #19's proof: group 4, 32 new tokens).
  const name = layers && layers !== 28 ? `scale-1.5b-${layers}-layers` : only === 'grpo' ? 'scale-1.5b-grpo' : 'scale-1.5b';
  // --sft / --grpo alone: keep the other kind's rows already in the file (each is its own long run).
  const previous = join(RESULTS_DIR, `${name}.json`);
  if (only && existsSync(previous)) {
    const kept = (JSON.parse(readFileSync(previous, 'utf8')) as { cases?: Record<string, unknown>[] }).cases ?? [];
    rows.unshift(...kept.filter((r) => !rows.some((n) => n.case === r.case)));
  }
  const path = writeResult(name, { cases: rows, note: 'CPU, float32, random weights of the released shape (GRPO rows: rounded to bf16 values, as a bf16 checkpoint loads, so the scorer stores its frozen weights as bf16); planner_error is signed (est − peak) / peak: negative = under-estimate' });
  console.log(`wrote ${path}`);
}

/**
 * `--full-depth --extrapolate --grpo --from 4,8`: where the full depth does not fit the machine, the peak RSS
 * measured at two depths (scale-1.5b-N-layers.json rows of that kind) extended linearly per layer to the
 * released depth, next to the planner's estimate for it; added to scale-1.5b.json as an extrapolated row.
 */
async function extrapolate(args: string[]): Promise<void> {
  const kind = args.includes('--grpo') ? 'grpo' : 'sft';
  const from = (args[args.indexOf('--from') + 1] ?? '').split(',').map(Number);
  if (from.length !== 2 || from.some((n) => !(n > 0))) throw new Error('--extrapolate needs --from A,B (two measured depths)');
  const rows = from.map((layers) => {
    const file = JSON.parse(readFileSync(join(RESULTS_DIR, `scale-1.5b-${layers}-layers.json`), 'utf8')) as { cases: Record<string, unknown>[] };
    const row = file.cases.find((r) => r.kind === kind && typeof r.peak_rss_bytes === 'number');
    if (!row) throw new Error(`no measured ${kind} row in scale-1.5b-${layers}-layers.json`);
    return row as Record<string, unknown> & Case & { peak_rss_bytes: number; step_seconds: number[] };
  });
  const [a, b] = rows;
  const full = releaseConfig('qwen2', a.preset).numLayers;
  const perLayer = (b.peak_rss_bytes - a.peak_rss_bytes) / (from[1] - from[0]);
  const peak = b.peak_rss_bytes + perLayer * (full - from[1]);
  const secondsPerLayer = (b.step_seconds[0] - a.step_seconds[0]) / (from[1] - from[0]);
  const c = { ...a, layers: full } as Case;
  const plan = planTrainingMemory(caseConfig(c), { batchSize: c.batch, seqLength: c.seq, method: c.method, loraRank: c.loraRank, loraTargets: LORA_TARGETS, checkpointing: c.checkpointing, lossChunks: kind === 'grpo' ? undefined : c.lossChunks, device: 'cpu', grpo: kind === 'grpo', scorerWeightBytes: 2 });
  const row = {
    case: `${a.case} (extrapolated)`, kind, preset: a.preset, method: a.method, batch: a.batch, seq: a.seq, layers: full, full_depth: true, extrapolated: true,
    from_layers: from, measured_peak_rss_bytes: rows.map((r) => r.peak_rss_bytes), peak_rss_per_layer_bytes: perLayer,
    peak_rss_bytes: peak, planner_bytes: plan.peakBytes, planner_error: (plan.peakBytes - peak) / peak, planner_breakdown: plan.breakdown,
    step_seconds: [b.step_seconds[0] + secondsPerLayer * (full - from[1])],
    why: `the full depth needs ~${(plan.peakBytes / 2 ** 30).toFixed(1)} GiB by the planner: more than this shared ${(totalmem() / 2 ** 30).toFixed(1)} GiB machine holds`,
  };
  const path = join(RESULTS_DIR, 'scale-1.5b.json');
  const previous = existsSync(path) ? ((JSON.parse(readFileSync(path, 'utf8')) as { cases?: Record<string, unknown>[] }).cases ?? []) : [];
  const out = writeResult('scale-1.5b', { cases: [...previous.filter((r) => r.case !== row.case), row], note: 'CPU, float32, random weights of the released shape; planner_error is signed (est − peak) / peak: negative = under-estimate' });
  console.log(`${row.case}: peak ${(peak / 2 ** 30).toFixed(2)} GiB extrapolated from ${from.join(' and ')} layers (${(perLayer / 2 ** 20).toFixed(0)} MiB per layer), planner ${(plan.peakBytes / 2 ** 30).toFixed(2)} GiB (${(100 * row.planner_error).toFixed(1)}%); wrote ${out}`);
}

await main();
