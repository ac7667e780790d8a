// Issue #30: evaluation, the local pair generator and reward-model evaluation open their models the lean way
// — the session maps the checkpoint's safetensors shards (weightFiles) and holds no weight in JS; an adapter
// is applied at run time — and answer exactly as the old path did (loadModel, adapter merged in JS, every
// weight handed to onnxruntime from memory), computed here independently.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { EvalStore, loadEvalModel, runEvaluation, type EvalModel, type SampleRow } from '../../../main/eval/index.ts';
import { defaultEvalCacheDir } from '../../../main/eval/model-source.ts';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { DecodeLoop } from '../../../main/models/decode-loop.ts';
import { generate } from '../../../main/models/generate.ts';
import { createModelFolder } from '../../../main/models/init.ts';
import { initLoraWeights } from '../../../main/models/lora.ts';
import { loraConfig, mergeLoraAdapter, writeLoraAdapter } from '../../../main/models/peft.ts';
import { RewardModel } from '../../../main/models/reward-model.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { LocalGenerator } from '../../../main/pairs/local-generator.ts';
import { evaluateRewardModel } from '../../../main/train/rm/evaluate.ts';
import { FIXTURE_PROBLEMS, makeTinyModel, writeBenchmark } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'lean-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every DecoderSession.create / DecodeLoop.create call: what weights it got in memory and whether it mapped the files. */
function spySessions() {
  const spies = [mock.method(DecoderSession, 'create'), mock.method(DecodeLoop, 'create')];
  return {
    calls: () => spies.flatMap((spy) => spy.mock.calls.map((c) => ({ inMemory: (c.arguments[1] as ReadonlyMap<string, unknown>).size, mapped: !!c.arguments[2]?.weightFiles }))),
    restore: () => spies.forEach((spy) => spy.mock.restore()),
  };
}

const rowsOf = (evalsDir: string, name: string) =>
  new EvalStore(evalsDir, name).readRows().sort((a: SampleRow, b: SampleRow) => a.problemId.localeCompare(b.problemId)).map((r) => [r.problemId, r.response, r.responseTokens]);

/** The old path: every weight read into JS (an adapter merged into them), handed to the session from memory. */
function inMemoryModel(modelDir: string, lean: EvalModel): EvalModel {
  const loaded = loadModel(lean.base ?? modelDir);
  const weights = lean.adapter ? mergeLoraAdapter(loaded.weights, lean.adapter) : loaded.weights;
  return { config: loaded.config, weights, tokenizer: lean.tokenizer, stopTokenIds: lean.stopTokenIds };
}

test('evaluation maps the checkpoint (no weight in JS) and answers as the in-memory path, for a model and a LoRA adapter', async () => {
  const base = makeTinyModel(join(dir, 'base'), 5);
  const lora = loraConfig({ r: 2, targetModules: ['q_proj', 'v_proj', 'down_proj'], baseModelNameOrPath: base });
  const pairs = initLoraWeights(loadModel(base).config, lora, 4);
  for (const pair of pairs.values()) (pair.b.data as Float32Array).forEach((_, i, b) => (b[i] = 0.05 * Math.sin(i + 1)));
  const adapterDir = join(dir, 'adapter');
  writeLoraAdapter(adapterDir, { config: lora, lora: pairs, extra: new Map() });
  const benchmark = writeBenchmark(join(dir, 'b.jsonl'), FIXTURE_PROBLEMS.slice(0, 4));
  const evalsDir = join(dir, 'evals');
  const common = { benchmark, evalsDir, k: 1, maxNewTokens: 8, batchSize: 2 };
  for (const model of [base, adapterDir]) {
    const lean = loadEvalModel(model);
    assert.equal(lean.weights.size, 0, 'no weight read into JS');
    assert.ok(lean.weightFiles && lean.weightFiles.tensors.size > 0);
    const spy = spySessions();
    try {
      await runEvaluation({ ...common, model, name: `lean-${model === base ? 'base' : 'adapter'}` });
      assert.deepEqual(spy.calls(), [{ inMemory: 0, mapped: true }], 'one session, mapping the files, nothing in memory');
    } finally {
      spy.restore();
    }
    await runEvaluation({ ...common, model, name: `old-${model === base ? 'base' : 'adapter'}`, loadedModel: inMemoryModel(model, lean) });
  }
  assert.deepEqual(rowsOf(evalsDir, 'lean-base'), rowsOf(evalsDir, 'old-base'));
  assert.deepEqual(rowsOf(evalsDir, 'lean-adapter'), rowsOf(evalsDir, 'old-adapter'));
  // The adapter really changes the answers (a run-time adapter that silently did nothing would pass above only if the old path also ignored it).
  assert.notDeepEqual(rowsOf(evalsDir, 'lean-adapter').map((r) => r[1]), rowsOf(evalsDir, 'lean-base').map((r) => r[1]));
});

test('an adapter for modules the base lacks is refused as merging refused it', () => {
  const base = join(dir, 'base');
  const config = loadModel(base).config;
  const lora = loraConfig({ r: 2, targetModules: ['q_proj'], baseModelNameOrPath: base });
  const pairs = initLoraWeights(config, lora, 1);
  const [module, pair] = [...pairs][0];
  const bad = new Map([[module.replace('layers.0', 'layers.99'), pair]]);
  const out = join(dir, 'bad-adapter');
  writeLoraAdapter(out, { config: lora, lora: bad, extra: new Map() });
  assert.throws(() => loadEvalModel(out), /the adapter targets model\.layers\.99\.self_attn\.q_proj but the base model has no model\.layers\.99\.self_attn\.q_proj\.weight/);
});

test('the local pair generator maps its checkpoint and samples what the in-memory path samples', async () => {
  const modelDir = join(dir, 'gen');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: modelDir, seed: 2 });
  const options = { name: 'g', modelDir, maxNewTokens: 7, temperature: 0.8, topP: 0.9, seed: 11 };
  const spy = spySessions();
  const gen = new LocalGenerator(options);
  const replies = [];
  try {
    for (const prompt of ['What is two plus two?', '안녕하세요']) replies.push(await gen.generate(prompt));
    assert.deepEqual(spy.calls(), [{ inMemory: 0, mapped: true }]);
  } finally {
    spy.restore();
  }
  // Independently: loadModel, an in-memory session, the same chat encoding and per-call seeds.
  const { config, weights } = loadModel(modelDir);
  const tokenizer = Tokenizer.load(modelDir);
  const session = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true });
  try {
    for (const [i, prompt] of ['What is two plus two?', '안녕하세요'].entries()) {
      const ids = tokenizer.encodeChat([{ role: 'user', content: prompt }], { addGenerationPrompt: true });
      const [out] = await generate(session, [ids], { maxNewTokens: 7, sampling: { temperature: 0.8, topP: 0.9, seed: 11 + i }, stopTokenIds: config.eosTokenIds });
      assert.equal(replies[i].usage!.completionTokens, out.tokens.length);
      assert.equal(replies[i].answer, tokenizer.decode(out.tokens, { skipSpecialTokens: true }).trim());
    }
  } finally {
    await session.release();
  }
});

test('reward-model evaluation maps its checkpoint and scores as the in-memory reward model', async () => {
  const rmDir = join(dir, 'rm');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: rmDir, seed: 3, task: 'sequence-classification', numLabels: 1 });
  const data = writeBenchmark(join(dir, 'prefs.jsonl'), [
    { prompt: 'What is 2 + 2?', chosen: 'It is 4.', rejected: 'It is 5.' },
    { prompt: '하늘은 무슨 색?', chosen: '파란색입니다.', rejected: '모르겠어요.' },
  ]);
  const spy = spySessions();
  let evaluation;
  try {
    evaluation = await evaluateRewardModel({ model: rmDir, data });
    assert.deepEqual(spy.calls(), [{ inMemory: 0, mapped: true }]);
  } finally {
    spy.restore();
  }
  const { config, weights } = loadModel(rmDir);
  const tokenizer = Tokenizer.load(rmDir);
  const rm = await RewardModel.create(config, weights);
  try {
    assert.equal(evaluation.scores.length, 2);
    for (const [i, row] of [['What is 2 + 2?', 'It is 4.', 'It is 5.'], ['하늘은 무슨 색?', '파란색입니다.', '모르겠어요.']].entries()) {
      const enc = (answer: string) => tokenizer.encodeChat([{ role: 'user', content: row[0] }, { role: 'assistant', content: answer }]);
      const [chosen, rejected] = await rm.rewards([enc(row[1]), enc(row[2])]);
      assert.ok(Math.abs(evaluation.scores[i].chosen - chosen) < 1e-5, `chosen ${evaluation.scores[i].chosen} vs ${chosen}`);
      assert.ok(Math.abs(evaluation.scores[i].rejected - rejected) < 1e-5, `rejected ${evaluation.scores[i].rejected} vs ${rejected}`);
    }
  } finally {
    await rm.release();
  }
});

test('a bf16 checkpoint: the first evaluation saves its optimised graph, the next maps it, same rows; float32 and adapters get no cache by default', async () => {
  const model = join(dir, 'bf16');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: model, seed: 6, dtype: 'BF16' });
  const benchmark = writeBenchmark(join(dir, 'c.jsonl'), FIXTURE_PROBLEMS.slice(0, 2));
  const evalsDir = join(dir, 'evals-cache');
  const cacheDir = join(dir, 'optimized');
  const create = mock.method(DecodeLoop, 'create');
  const common = { model, benchmark, evalsDir, k: 1, maxNewTokens: 6 };
  try {
    await runEvaluation({ ...common, name: 'first', optimizedCacheDir: cacheDir });
    await runEvaluation({ ...common, name: 'second', optimizedCacheDir: cacheDir });
    await runEvaluation({ ...common, name: 'none', optimizedCacheDir: false });
    const caches = create.mock.calls.map((c) => (c.result as DecodeLoop).optimizedCache);
    assert.equal(caches.length, 3);
    assert.equal(caches[0]?.hit, false, 'the first start fills the cache');
    assert.equal(caches[1]?.hit, true, 'the second maps the saved graph');
    assert.equal(caches[1]?.dir, caches[0]?.dir);
    assert.equal(caches[2], null);
  } finally {
    create.mock.restore();
  }
  assert.deepEqual(rowsOf(evalsDir, 'second'), rowsOf(evalsDir, 'first'));
  assert.deepEqual(rowsOf(evalsDir, 'none'), rowsOf(evalsDir, 'first'));
  // Defaults: the user's cache for a bf16 checkpoint; none for float32 or with an adapter.
  const saved = process.env.SAENGGAK_CACHE_DIR;
  process.env.SAENGGAK_CACHE_DIR = join(dir, 'user-cache');
  try {
    assert.equal(defaultEvalCacheDir(loadEvalModel(model)), join(dir, 'user-cache', 'optimized-models'));
    assert.equal(defaultEvalCacheDir(loadEvalModel(join(dir, 'base'))), undefined);
    assert.equal(defaultEvalCacheDir({ ...loadEvalModel(model), adapter: loadEvalModel(join(dir, 'adapter')).adapter }), undefined);
  } finally {
    if (saved === undefined) delete process.env.SAENGGAK_CACHE_DIR;
    else process.env.SAENGGAK_CACHE_DIR = saved;
  }
});

test('the local pair generator on a bf16 checkpoint: the optimised-graph cache (user cache folder), filled once then mapped, same replies', async () => {
  const model = join(dir, 'bf16-pairs');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: model, seed: 6, dtype: 'BF16' });
  const saved = process.env.SAENGGAK_CACHE_DIR;
  process.env.SAENGGAK_CACHE_DIR = join(dir, 'pairs-cache');
  const create = mock.method(DecodeLoop, 'create');
  try {
    const replies = [];
    for (let i = 0; i < 2; i++) replies.push(await new LocalGenerator({ name: 'g', modelDir: model, maxNewTokens: 5, temperature: 0, seed: 1 }).generate('What is two plus two?'));
    const caches = create.mock.calls.map((c) => (c.result as DecodeLoop).optimizedCache);
    assert.deepEqual(caches.map((c) => c?.hit), [false, true]);
    assert.ok(caches[0]!.dir.startsWith(join(dir, 'pairs-cache', 'optimized-models')));
    assert.deepEqual(replies[1], replies[0]);
  } finally {
    create.mock.restore();
    if (saved === undefined) delete process.env.SAENGGAK_CACHE_DIR;
    else process.env.SAENGGAK_CACHE_DIR = saved;
  }
});
