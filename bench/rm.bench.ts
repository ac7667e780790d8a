// npm run bench:rm [-- --steps N --pairs P --rounds R --skip-torch]
//
// Reward-model training and scoring speed, ours vs an equivalent PyTorch eager loop (bench/torch_rm.py):
// the `small` Qwen2 preset (hidden 256, 8 layers, the bundled Qwen tokenizer's vocabulary) as a
// Qwen2ForSequenceClassification with one label, the same initial weights and the same batches of P
// pairs (Korean arithmetic answers: the right one in Korean vs the same in English), full fine-tuning
// with the Bradley-Terry loss, clipping and AdamW; then scoring the same batches without gradients.
// Pairs/s exclude the first step (session creation, allocator warm-up). Both sides' 1024² matmul
// GFLOP/s are printed so a reader can see the PyTorch peer is healthy. The sides take turns for --rounds
// rounds (default 2) and each side's best round counts: other work on a shared machine only ever slows a
// side down. Every round's numbers and the load average before it are recorded. Writes bench/results/rm.json.
//
// Fair peer: Debian's python3-torch with OpenBLAS (libopenblas0-pthread), run with OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE unset for that command only. Each round runs the peer with 1 intra-op thread and with
// one per core (OpenBLAS keeps its own pool either way; which is faster depends on the machine), and the
// faster counts, so the peer is never handicapped by a thread setting.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSafetensors } from '../main/engine/safetensors.ts';
import { initWeights } from '../main/models/init.ts';
import { presetConfig } from '../main/models/presets.ts';
import { RewardModel } from '../main/models/reward-model.ts';
import { Tokenizer } from '../main/models/tokenizer.ts';
import { tokenizePreferences } from '../main/train/rm/data.ts';
import { RewardModelStep, type PairBatch } from '../main/train/rm/model.ts';
import { arithmeticProblems } from '../main/train/tasks/index.ts';
import { ortMatmulGflops } from './lib/ort-matmul.ts';
import { printTable, writeResult } from './lib/results.ts';

const root = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '12' }, pairs: { type: 'string', default: '8' }, rounds: { type: 'string', default: '2' }, 'skip-torch': { type: 'boolean', default: false } } });
const rounds = Math.max(1, Number(args.rounds));
const torchThreads = [...new Set([1, os.cpus().length])];
const steps = Number(args.steps);
const P = Number(args.pairs);
const optimizer = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, clip_norm: 1.0 };

// ---- Model and data (shared by both sides) ----
const tokenizer = Tokenizer.bundledQwen();
const config = presetConfig('qwen2', 'small', {
  vocabSize: tokenizer.vocabSize,
  bosTokenId: null,
  eosTokenIds: [tokenizer.eosTokenId!],
  padTokenId: tokenizer.padTokenId ?? tokenizer.eosTokenId,
  task: 'sequence-classification',
  numLabels: 1,
});
const weights = initWeights(config, { seed: 0 });
const problems = arithmeticProblems({ count: steps * P, seed: 1, steps: 2 });
const rows = problems.map((p) => ({
  prompt: p.prompt,
  chosen: p.response,
  rejected: `<think>\n${p.steps.map((s) => `${s.op === '+' ? 'add' : 'subtract'} ${s.operand}`).join(', then ')}\n</think>\n\nThe answer is \\boxed{${p.answer}}.`,
}));
const { pairs } = tokenizePreferences(rows, tokenizer, { maxLength: 512 });
const batches: PairBatch[] = Array.from({ length: steps }, (_, k) => {
  const chunk = pairs.slice(k * P, k * P + P);
  return { sequences: [...chunk.map((p) => p.chosen), ...chunk.map((p) => p.rejected)], margins: chunk.map(() => 0) };
});
const maxLen = Math.max(...batches.flatMap((b) => b.sequences.map((s) => s.length)));
const meanLen = batches.flatMap((b) => b.sequences.map((s) => s.length)).reduce((a, b) => a + b, 0) / (steps * 2 * P);

const work = join(root, '.tmp', 'bench-rm');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
writeFileSync(join(work, 'config.json'), JSON.stringify({ heads: config.numHeads, kv_heads: config.numKvHeads, head_dim: config.headDim, layers: config.numLayers, rms_eps: config.rmsNormEps, rope_theta: config.ropeTheta, steps, pairs_per_batch: P, optimizer }));
writeSafetensors(join(work, 'init.safetensors'), weights);
{
  const ids = new BigInt64Array(steps * 2 * P * maxLen).fill(BigInt(config.padTokenId ?? 0));
  const mask = new BigInt64Array(steps * 2 * P * maxLen);
  batches.forEach((b, k) => b.sequences.forEach((s, r) => s.forEach((id, t) => {
    ids[(k * 2 * P + r) * maxLen + t] = BigInt(id);
    mask[(k * 2 * P + r) * maxLen + t] = 1n;
  })));
  const lengths = BigInt64Array.from(batches.map((b) => BigInt(Math.max(...b.sequences.map((s) => s.length)))));
  writeSafetensors(join(work, 'data.safetensors'), {
    input_ids: { dtype: 'I64', shape: [steps, 2 * P, maxLen], data: ids },
    attention_mask: { dtype: 'I64', shape: [steps, 2 * P, maxLen], data: mask },
    batch_length: { dtype: 'I64', shape: [steps], data: lengths },
  });
}
console.log(`model: small Qwen2 reward model (hidden ${config.hiddenSize}, ${config.numLayers} layers, vocab ${config.vocabSize}); ${P} pairs per step, sequences ${Math.round(meanLen)} tokens on average (max ${maxLen}); ${steps} steps\n`);

type Side = { losses: number[]; step_times_s: number[]; score_times_s: number[]; peak_rss_bytes: number; matmul_gflops: number; [k: string]: unknown };

// ---- Ours ----
async function runOurs(): Promise<Side> {
  console.log('ours: training…');
  const loadBefore = os.loadavg()[0];
  const stepper = await RewardModelStep.create(config, weights, { kind: 'full' }, { pairsPerBatch: P, adamw: { beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.eps, weightDecay: optimizer.weight_decay }, maxGradNorm: optimizer.clip_norm, provider: 'cpu' });
  const losses: number[] = [];
  const stepTimes: number[] = [];
  for (const [k, batch] of batches.entries()) {
    const t0 = performance.now();
    const r = await stepper.step(batch, optimizer.lr);
    stepTimes.push((performance.now() - t0) / 1000);
    losses.push(r.loss);
    process.stderr.write(`ours step ${k + 1}: loss ${r.loss.toFixed(6)} in ${(stepTimes.at(-1)! * 1000).toFixed(0)} ms\n`);
  }
  const trained = await stepper.currentWeights();
  await stepper.release();
  const scorer = await RewardModel.create(config, trained);
  const scoreTimes: number[] = [];
  for (const batch of batches) {
    const t0 = performance.now();
    await scorer.rewards(batch.sequences, 2 * P);
    scoreTimes.push((performance.now() - t0) / 1000);
  }
  await scorer.release();
  return { losses, step_times_s: stepTimes, score_times_s: scoreTimes, peak_rss_bytes: process.resourceUsage().maxRSS * 1024, matmul_gflops: await ortMatmulGflops(), load_before: loadBefore };
}

// ---- PyTorch ----
function runTorch(threads: number): Side | { error: string } {
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (!python) return { error: 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)' };
  console.log(`torch (${threads} intra-op thread${threads > 1 ? 's' : ''}): training…`);
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // the fair-peer rule: this command only
  delete env.OPENBLAS_L2_SIZE;
  const loadBefore = os.loadavg()[0];
  const r = spawnSync(python, [join(root, 'bench', 'torch_rm.py'), work, String(threads)], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(r.stderr.split('\n').slice(-20).join('\n') + '\n');
  const out = join(work, 'torch.json');
  if (r.status !== 0 || !existsSync(out)) return { error: `torch_rm.py exited with ${r.status}` };
  return { ...JSON.parse(readFileSync(out, 'utf8')), load_before: loadBefore };
}

const ok = (s: Side | { error: string }): s is Side => !('error' in s);
const rate = (times: number[]) => (P * (times.length - 1)) / times.slice(1).reduce((a, b) => a + b, 0);
const train = (s: Side) => rate(s.step_times_s);
const score = (s: Side) => rate(s.score_times_s);
const oursRounds: Side[] = [];
const torchRounds: (Side | { error: string })[] = [];
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round} of ${rounds}`);
  oursRounds.push(await runOurs());
  if (args['skip-torch']) torchRounds.push({ error: 'skipped (--skip-torch)' });
  else for (const threads of torchThreads) torchRounds.push(runTorch(threads));
}
/** A side's best round by training throughput (the scoring numbers come from the same round). */
function best(all: (Side | { error: string })[]): Side | { error: string } {
  return all.filter(ok).sort((a, b) => train(b) - train(a))[0] ?? all[0];
}
const ours = best(oursRounds) as Side;
const torch = best(torchRounds);
const cell = (s: Side | { error: string }, f: (s: Side) => number) => (ok(s) ? f(s) : 'n/a');
const ratio = (f: (s: Side) => number) => (ok(torch) ? f(ours) / f(torch) : 'n/a');
const table: (string | number)[][] = [['', 'ours', 'pytorch', 'ours / pytorch']];
table.push(['train pairs/s (steps 2..N)', train(ours), cell(torch, train), ratio(train)]);
table.push(['score pairs/s (batches 2..N)', score(ours), cell(torch, score), ratio(score)]);
table.push(['first train step (s)', ours.step_times_s[0], cell(torch, (s) => s.step_times_s[0]), ratio((s) => s.step_times_s[0])]);
table.push(['peak RSS (MiB)', ours.peak_rss_bytes / 2 ** 20, cell(torch, (s) => s.peak_rss_bytes / 2 ** 20), ratio((s) => s.peak_rss_bytes)]);
table.push(['matmul 1024² GFLOP/s', ours.matmul_gflops, cell(torch, (s) => s.matmul_gflops), ratio((s) => s.matmul_gflops)]);
printTable(table);
const maxLossDiff = ok(torch) ? Math.max(...ours.losses.map((l, i) => Math.abs(l - torch.losses[i]))) : null;
if (maxLossDiff !== null) console.log(`\nmax |loss difference| over ${steps} steps: ${maxLossDiff.toExponential(2)}`);
console.log(`1-minute load average before each side: ours ${(ours.load_before as number).toFixed(2)}, pytorch ${ok(torch) ? (torch.load_before as number).toFixed(2) : 'n/a'} (${os.cpus().length} cores)`);
if (ok(torch)) console.log(`pytorch ${torch.torch_version}, best with ${torch.threads} intra-op thread(s) (tried ${torchThreads.join(' and ')}), BLAS: ${(torch.blas_libraries as string[]).join(', ') || 'unknown'}`);
console.log(`goal: train ours / pytorch ≥ 1.0 (and scoring not below it)`);
if (!ok(torch)) console.log(`pytorch side: ${torch.error}`);
const path = writeResult('rm', {
  config: { preset: 'small', hidden: config.hiddenSize, layers: config.numLayers, vocab: config.vocabSize, pairs_per_batch: P, steps, mean_tokens: meanLen, max_tokens: maxLen, optimizer },
  ours: { ...ours, train_pairs_per_s: train(ours), score_pairs_per_s: score(ours) },
  pytorch: ok(torch) ? { ...torch, train_pairs_per_s: train(torch), score_pairs_per_s: score(torch) } : torch,
  train_ratio: ok(torch) ? train(ours) / train(torch) : null,
  score_ratio: ok(torch) ? score(ours) / score(torch) : null,
  max_loss_difference: maxLossDiff,
  rounds: { ours: oursRounds.map((s) => ({ train_pairs_per_s: train(s), score_pairs_per_s: score(s), load_before: s.load_before })), pytorch: torchRounds.map((s) => (ok(s) ? { threads: s.threads, train_pairs_per_s: train(s), score_pairs_per_s: score(s), load_before: s.load_before } : s)) },
});
console.log(`\nwrote ${path}`);
