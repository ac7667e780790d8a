// Bad input stops a run before its first step, with a message that names the problem: rows without an
// assistant turn, a sequence over the model's position limit (or over maxSeqLength with
// truncation 'error'), a tokenizer without a chat template, a config with wrong fields. Also: the
// assistant-only loss mask, the truncation counts, NaN weights → TrainingDivergedError naming the step
// and the batch, and cancel → checkpoint + 'stopped'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { loadModel, saveModel } from '../../../main/models/weights.ts';
import { parseSftConfig, runSft } from '../../../main/train/sft/index.ts';
import { prepareExamples, tokenizeConversation } from '../../../main/train/sft/data.ts';
import { RunFolder, TrainingDivergedError } from '../../../main/train/run/index.ts';
import { arithmeticProblems, arithmeticRow } from '../../../main/train/tasks/index.ts';
import { makeStudent, writeRows } from './arithmetic-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'sft-bad-'));
const modelDir = join(dir, 'model');
makeStudent(modelDir, { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }, 1);
const tokenizer = Tokenizer.load(modelDir);
const problems = arithmeticProblems({ count: 40, seed: 2 });
const dataPath = join(dir, 'train.jsonl');
writeRows(dataPath, problems);
const workspace = join(dir, 'ws');
const base = { model: modelDir, data: dataPath, maxSeqLength: 256, batchSize: 4, maxSteps: 3, provider: 'cpu' } as const;
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('loss mask covers exactly the assistant reply (thinking included) and its end-of-turn token', () => {
  const messages = [{ role: 'system' as const, content: '답은' }, { role: 'user' as const, content: '1에서 시작합니다.' }, { role: 'assistant' as const, content: '<think>\n1\n</think>\n\n답은 1' }];
  // The compact tokenizer (ChatML) and the real Qwen3 tokenizer with its own template.
  for (const tok of [tokenizer, Tokenizer.bundledQwen()]) {
    const { ids, targets } = tokenizeConversation(tok, messages, 'row');
    const trained = tok.decode(ids.filter((_, t) => targets[t]));
    assert.equal(trained, '<think>\n1\n</think>\n\n답은 1<|im_end|>');
    assert.equal(tok.decode(ids), tok.applyChatTemplate(messages), 'pieces tokenize back to the whole conversation');
    assert.equal(targets.indexOf(1), ids.length - targets.filter(Boolean).length - 1, 'targets are one contiguous span before the final newline');
  }
});

test('truncation: drop and cut are counted; error names the row', () => {
  const rows = problems.slice(0, 6).map(arithmeticRow);
  const lengths = rows.map((r) => tokenizeConversation(tokenizer, r.messages as never, 'r').ids.length);
  const limit = [...lengths].sort((a, b) => a - b)[2]; // three rows fit, three are longer
  const longer = lengths.filter((n) => n > limit).length;
  const columns = {};
  const dropped = prepareExamples(rows, tokenizer, { columns, maxSeqLength: limit, truncation: 'drop', what: 'training' });
  assert.equal(dropped.dropped, longer);
  assert.equal(dropped.examples.length, rows.length - longer);
  const cut = prepareExamples(rows, tokenizer, { columns, maxSeqLength: limit, truncation: 'cut', what: 'training' });
  assert.equal(cut.cut, longer);
  for (const e of cut.examples) assert.ok(e.ids.length <= limit);
  assert.throws(() => prepareExamples(rows, tokenizer, { columns, maxSeqLength: limit, truncation: 'error', what: 'training' }), /training row \d+ \(id arith-\d+\): \d+ tokens, longer than maxSeqLength/);
});

test('a dataset without assistant turns is rejected before training, and no run is created', async () => {
  const path = join(dir, 'prompts-only.jsonl');
  writeFileSync(path, problems.slice(0, 5).map((p) => JSON.stringify({ id: p.id, messages: [{ role: 'user', content: p.prompt }] })).join('\n'));
  await assert.rejects(runSft({ ...base, data: path, name: 'no-assistant' }, { workspace }), /row \d+ \(id arith-\d+\): no assistant turn/);
  assert.equal(RunFolder.inWorkspace(workspace, 'no-assistant').exists(), false);
  const promptOnly = join(dir, 'prompt-column.jsonl');
  writeFileSync(promptOnly, JSON.stringify({ prompt: 'hi' }) + '\n');
  await assert.rejects(runSft({ ...base, data: promptOnly, name: 'no-assistant-2' }, { workspace }), /no assistant turn/);
});

test('sequences over the model limit are rejected before training', async () => {
  await assert.rejects(runSft({ ...base, maxSeqLength: 1024, name: 'too-long' }, { workspace }), /maxSeqLength 1024 exceeds the model's max_position_embeddings 512/);
  await assert.rejects(runSft({ ...base, maxSeqLength: 40, truncation: 'error', name: 'too-long-2' }, { workspace }), /tokens, longer than maxSeqLength 40/);
  await assert.rejects(runSft({ ...base, maxSeqLength: 16, name: 'too-long-3' }, { workspace }), /all \d+ training examples are longer than maxSeqLength 16/);
  assert.equal(RunFolder.inWorkspace(workspace, 'too-long').exists(), false);
});

test('a tokenizer without a chat template is rejected before training', async () => {
  const bare = join(dir, 'bare');
  const { config, weights } = loadModel(modelDir);
  saveModel(bare, { config, weights, generationConfig: null }, { tokenizerDir: modelDir });
  const cfgPath = join(bare, 'tokenizer_config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  delete cfg.chat_template;
  writeFileSync(cfgPath, JSON.stringify(cfg));
  await assert.rejects(runSft({ ...base, model: bare, name: 'no-template' }, { workspace }), /has no chat template/);
});

test('config errors name the field', () => {
  assert.throws(() => parseSftConfig({ model: modelDir, data: dataPath, method: { kind: 'lora', r: 0 } }), /method\.r/);
  assert.throws(() => parseSftConfig({ model: modelDir, data: dataPath, truncation: 'chop' }), /truncation/);
  assert.throws(() => parseSftConfig({ model: modelDir, data: dataPath, learningrate: 1 }), /learningrate/);
});

test('NaN weights stop the run at step 1 with the batch named; status diverged', async () => {
  const broken = join(dir, 'broken');
  const { config, weights } = loadModel(modelDir);
  (weights.get('model.norm.weight')!.data as Float32Array)[0] = NaN;
  saveModel(broken, { config, weights, generationConfig: null }, { tokenizerDir: modelDir });
  await assert.rejects(runSft({ ...base, model: broken, name: 'nan' }, { workspace }), (error: unknown) => {
    assert.ok(error instanceof TrainingDivergedError);
    assert.equal(error.step, 1);
    assert.match(error.message, /step 1 \(epoch 1, micro-batches 1–1, examples arith-\d+/);
    return true;
  });
  assert.equal(RunFolder.inWorkspace(workspace, 'nan').info().status, 'diverged');
});

test('cancel stops at the end of the current run of steps with a checkpoint; resume finishes the run', async () => {
  const controller = new AbortController();
  // Runs of 2 steps (the loop step): a stop asked for at step 1 takes effect when its run ends, at step 2.
  const stopped = await runSft({ ...base, maxSteps: 5, stepsPerRun: 2, name: 'cancelled' }, { workspace, signal: controller.signal, onProgress: (p) => p.step === 1 && controller.abort() });
  assert.equal(stopped.summary.status, 'stopped');
  const run = RunFolder.inWorkspace(workspace, 'cancelled');
  assert.equal(run.info().status, 'stopped');
  assert.equal(JSON.parse(readFileSync(join(run.checkpointsDir, 'latest.json'), 'utf8')).step, 2);
  await assert.rejects(runSft({ ...base, maxSteps: 5, name: 'cancelled' }, { workspace }), /already exists; resume it/);
  const done = await runSft({ ...base, maxSteps: 5, stepsPerRun: 2, name: 'cancelled' }, { workspace, resume: true });
  assert.equal(done.summary.steps, 5);
  assert.equal(run.info().status, 'finished');
  assert.ok(existsSync(join(done.output, 'model.safetensors')) && existsSync(join(done.output, 'tokenizer_config.json')));
});
