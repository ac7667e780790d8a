// A tiny SFT-initialised policy on the Korean arithmetic task, for the GRPO tests: a compact
// character-level tokenizer, a 2-layer Qwen2 (hidden 64), and a full fine-tune with FineTuner (linear
// decay to zero) on three-step problems whose teacher is hasty for 60% of the samples: it skips the
// working and writes the result in one line. The student copies both habits; greedy, it always takes the
// hasty one (measured on 128 unseen problems: 100% one-line thinking, 29% accurate; sampled, careful traces
// are right 37% of the time, hasty ones 23%), so the accuracy reward has a behaviour to select, and the
// language reward agrees (a one-line thinking has too few Hangul letters for full credit). Three steps, not
// two: a two-layer student does two steps in its head about as well as on paper (55% greedy either way),
// which left GRPO nothing to select. Session 3's fixture (half English thinking, 400 examples, constant
// rate) showed why: its accuracy was bound by arithmetic facts, which a few hundred rollouts do not teach.
// The folder is built once per machine (~4 min on 2 cores) and cached in the OS temp dir (renamed into place atomically).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FineTuner, lmBatch } from '../../../main/models/fine-tune.ts';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { arithmeticAlphabet, arithmeticProblems, arithmeticRow, writeCompactTokenizer } from '../../../main/train/tasks/index.ts';
import { Rng } from '../../../main/engine/rng.ts';

export const TASK = { steps: 3, englishThinkingShare: 0, shortcutShare: 0.6 };
export const SFT = { steps: 1500, examples: 3000, batch: 16, learningRate: 3e-3, layers: 2, seed: 1 };

/** Train prompts (JSONL rows) and a held-out set whose prompts appear neither in SFT nor in the train prompts. */
export function writeTaskData(dir: string, options: { train: number; heldOut: number }): { train: string; heldOut: string } {
  const all = arithmeticProblems({ count: SFT.examples + options.train + 40 * options.heldOut + 100, seed: 77, ...TASK, idPrefix: 'grpo' });
  const trainRows = all.slice(SFT.examples, SFT.examples + options.train);
  const seen = new Set(all.slice(0, SFT.examples + options.train).map((p) => p.prompt));
  const heldOutRows = all.slice(SFT.examples + options.train).filter((p) => !seen.has(p.prompt) && seen.add(p.prompt)).slice(0, options.heldOut);
  if (heldOutRows.length < options.heldOut) throw new Error(`writeTaskData: only ${heldOutRows.length} unseen held-out problems`);
  const train = join(dir, 'prompts.jsonl');
  const heldOut = join(dir, 'held-out.jsonl');
  writeFileSync(train, trainRows.map((p) => JSON.stringify(arithmeticRow(p))).join('\n') + '\n');
  writeFileSync(heldOut, heldOutRows.map((p) => JSON.stringify(arithmeticRow(p))).join('\n') + '\n');
  return { train, heldOut };
}

async function buildSftModel(dir: string): Promise<void> {
  const vocab = writeCompactTokenizer(dir, arithmeticAlphabet());
  const tokenizer = Tokenizer.load(dir);
  const eos = tokenizer.tokenToId('<|im_end|>')!;
  const config = {
    ...presetConfig('qwen2', 'tiny', { vocabSize: vocab, bosTokenId: null, eosTokenIds: [eos], padTokenId: tokenizer.tokenToId('<|endoftext|>') }),
    hiddenSize: 64,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 128,
    numLayers: SFT.layers,
  };
  const weights = initWeights(config, { seed: SFT.seed });
  // SFT data: the first SFT.examples problems of the seed-77 stream (the GRPO prompts come after them).
  const problems = arithmeticProblems({ count: SFT.examples, seed: 77, ...TASK, idPrefix: 'grpo' });
  const examples = problems.map((p) => {
    const prompt = tokenizer.encodeChat([{ role: 'user', content: p.prompt }], { addGenerationPrompt: true });
    const full = tokenizer.encodeChat([{ role: 'user', content: p.prompt }, { role: 'assistant', content: p.response }]);
    const ids = full.slice(0, full.length - 1); // drop the trailing newline after <|im_end|>
    return { ids, lossMask: ids.map((_, t) => (t >= prompt.length ? 1 : 0)) };
  });
  const tuner = await FineTuner.create(config, weights, { kind: 'full' }, { provider: 'cpu', maxGradNorm: 1 });
  const rng = new Rng(SFT.seed);
  let order: number[] = [];
  for (let step = 0; step < SFT.steps; step++) {
    if (order.length < SFT.batch) order = rng.shuffle(examples.map((_, i) => i));
    const batch = order.splice(0, SFT.batch).map((i) => examples[i]);
    // Linear decay to zero: a constant rate leaves the student's arithmetic noisy at the end.
    await tuner.step(lmBatch(batch, config.padTokenId ?? 0), SFT.learningRate * (1 - step / SFT.steps));
  }
  const out = await tuner.export();
  await tuner.release();
  if (!('weights' in out)) throw new Error('expected full weights');
  saveModel(dir, { config, weights: out.weights, generationConfig: { eos_token_id: eos } });
}

/** The cached SFT-initialised model folder. */
export async function sftModel(): Promise<string> {
  const dir = join(tmpdir(), `saenggak-grpo-fixture-v5-${SFT.steps}-${SFT.examples}`);
  if (existsSync(join(dir, 'config.json'))) return dir;
  const work = mkdtempSync(join(tmpdir(), 'saenggak-grpo-fixture-build-'));
  await buildSftModel(work);
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another process won the race
  }
  return dir;
}

/** Runs GRPO from `config` in a child process (resume.worker.ts) that SIGKILLs itself at the log line `killAt`. */
export function runResumeWorker(config: object, ws: string, killAt?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'resume.worker.ts'), JSON.stringify(config), ws], { env: { ...process.env, GRPO_KILL_AT: killAt ?? '' }, encoding: 'utf8' });
}
