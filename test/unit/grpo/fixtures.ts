// A tiny SFT-initialised policy on the Korean arithmetic task, for the GRPO tests: a compact
// character-level tokenizer, a 2-layer Qwen2 (hidden 64), and a short full fine-tune with FineTuner
// on two-step problems whose teacher traces think in English about half of the time — a base that is
// right some of the time and whose greedy thinking is mostly English, so both the accuracy and the
// language rewards have room. Two steps, not one: a one-step Korean thinking has fewer than the 20
// Hangul letters the language score asks for full credit (it caps at 0.4), which hid what GRPO did.
// (runSft from main/train/sft is not on main yet; switch to it when it lands.)
// The folder is built once per machine and cached in the OS temp dir (renamed into place atomically).
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

export const TASK = { steps: 2, englishThinkingShare: 0.5 };
export const SFT = { steps: Number(process.env.GRPO_FIXTURE_SFT_STEPS ?? 600), batch: 16, learningRate: 3e-3, seed: 1 };

/** Train prompts (JSONL rows) and a held-out set whose prompts appear neither in SFT nor in the train prompts. */
export function writeTaskData(dir: string, options: { train: number; heldOut: number }): { train: string; heldOut: string } {
  const all = arithmeticProblems({ count: 400 + options.train + 10 * options.heldOut + 100, seed: 77, ...TASK, idPrefix: 'grpo' });
  const trainRows = all.slice(400, 400 + options.train);
  const seen = new Set(all.slice(0, 400 + options.train).map((p) => p.prompt));
  const heldOutRows = all.slice(400 + options.train).filter((p) => !seen.has(p.prompt) && seen.add(p.prompt)).slice(0, options.heldOut);
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
    numLayers: 2,
  };
  const weights = initWeights(config, { seed: SFT.seed });
  // SFT data: the first 400 problems of the seed-77 stream (the GRPO prompts come after them).
  const problems = arithmeticProblems({ count: 400, seed: 77, ...TASK, idPrefix: 'grpo' });
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
    await tuner.step(lmBatch(batch, config.padTokenId ?? 0), SFT.learningRate);
  }
  const out = await tuner.export();
  await tuner.release();
  if (!('weights' in out)) throw new Error('expected full weights');
  saveModel(dir, { config, weights: out.weights, generationConfig: { eos_token_id: eos } });
}

/** The cached SFT-initialised model folder. */
export async function sftModel(): Promise<string> {
  const dir = join(tmpdir(), `saenggak-grpo-fixture-v2-${SFT.steps}`);
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
