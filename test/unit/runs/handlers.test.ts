// The runs.* handlers against a real workspace: run folders written by RunFolder + MetricsLog, and
// start / stop / resume through real job processes running a stand-in trainer (fake-trainer.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { MethodInput, MethodName, MethodOutput, Result } from '../../../main/api/contract.ts';
import { RunFolder } from '../../../main/train/run/index.ts';
import { workspacePaths } from '../../../main/store/workspace.ts';
import { computeRewards, type LanguageResult } from '../../../main/rewards/index.ts';
import { loadModelConfig } from '../../../main/models/config.ts';
import { trainingMemoryBytes } from '../../../main/train/shared/memory.ts';
import { writeQwen2Config } from '../../helpers/model-fixtures.ts';

const fakeTrainer = fileURLToPath(new URL('./fake-trainer.ts', import.meta.url));

type Caller = <M extends MethodName>(method: M, input: MethodInput<M> | Record<string, unknown>) => Promise<Result<MethodOutput<M>>>;

async function withWorkspace(fn: (call: Caller, root: string, session: AppSession) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-runs-'));
  const session = new AppSession({ jobs: { extraKinds: { sft: fakeTrainer }, cancelGraceMs: 5000 } });
  const call: Caller = (method, input) => dispatch(method, input, { transport: 'http', session }, handlers) as never;
  try {
    const root = join(dir, 'ws');
    value(await call('workspace.open', { path: root, create: true }));
    await fn(call, root, session);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function value<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}
function failure(result: Result<unknown>): { code: string; message: string } {
  assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result)}`);
  return (result as { error: { code: string; message: string } }).error;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A finished-looking SFT run with `steps` train points and an eval point every 5 steps. */
async function writeRun(root: string, name: string, steps: number, kind: 'sft' | 'grpo' = 'sft') {
  const folder = RunFolder.inWorkspace(root, name);
  await folder.create({ name, kind, config: { model: 'models/tiny', data: 'arith', learningRate: 0.001 }, totalSteps: steps });
  const log = folder.openMetrics();
  for (let step = 1; step <= steps; step++) {
    log.append({ step, split: 'train', loss: 2 / step, lr: 0.001, grad_norm: 1 + step / 10 });
    if (step % 5 === 0) log.append({ step, split: 'eval', loss: 2.5 / step });
  }
  log.close();
  await folder.update({ status: 'finished', step: steps });
  return folder;
}

test('runs.list and runs.get read run folders; runs.metrics pages by byte offset', async () => {
  await withWorkspace(async (call, root) => {
    assert.deepEqual(value(await call('runs.list', {})), []);
    const folder = await writeRun(root, 'sft-a', 12);
    mkdirSync(join(folder.checkpointsDir, 'step-00000005'), { recursive: true });
    mkdirSync(join(folder.checkpointsDir, 'step-00000010'), { recursive: true });

    const [run] = value(await call('runs.list', {}));
    assert.equal(run!.name, 'sft-a');
    assert.equal(run!.kind, 'sft');
    assert.equal(run!.status, 'finished');
    assert.equal(run!.step, 12);
    assert.equal(run!.totalSteps, 12);
    assert.equal(run!.job, null);

    const details = value(await call('runs.get', { name: 'sft-a' }));
    assert.match(details.configYaml, /learningRate: 0\.001/);
    assert.deepEqual(details.config, { model: 'models/tiny', data: 'arith', learningRate: 0.001 });
    assert.deepEqual(details.checkpoints, [5, 10]);
    assert.deepEqual(details.sampleSteps, []);

    const first = value(await call('runs.metrics', { name: 'sft-a', from: 0 }));
    assert.equal(first.records.filter((r) => r.split === 'train').length, 12);
    assert.equal(first.records.filter((r) => r.split === 'eval').length, 2);
    assert.equal(first.records[0]!.loss, 2);
    // Nothing new: same offset, no records.
    assert.deepEqual(value(await call('runs.metrics', { name: 'sft-a', from: first.next })), { records: [], next: first.next });

    // New points arrive, the last one torn mid-write: only the complete one is returned.
    const log = folder.openMetrics();
    log.append({ step: 13, split: 'train', loss: 0.1 });
    log.close();
    appendFileSync(folder.metricsPath, '{"step":14,"split":"tr');
    const more = value(await call('runs.metrics', { name: 'sft-a', from: first.next }));
    assert.deepEqual(more.records.map((r) => r.step), [13]);

    // A resume truncated the file below the reader's offset: reading starts over.
    folder.openMetrics({ resumeAfterStep: 3 }).close();
    const restarted = value(await call('runs.metrics', { name: 'sft-a', from: more.next }));
    assert.deepEqual(restarted.records.filter((r) => r.split === 'train').map((r) => r.step), [1, 2, 3]);
    assert.equal(restarted.restarted, true);
    assert.equal(value(await call('runs.metrics', { name: 'sft-a', from: restarted.next })).restarted, undefined);

    assert.equal(failure(await call('runs.get', { name: 'nope' })).code, 'not_found');
    assert.equal(failure(await call('runs.metrics', { name: '../x' })).code, 'invalid_input');
  });
});

test('runs.samples lists the steps with rollouts and reads one step, normalising the saved shape', async () => {
  await withWorkspace(async (call, root) => {
    const folder = await writeRun(root, 'grpo-a', 3, 'grpo');
    mkdirSync(folder.samplesDir, { recursive: true });
    const group = (step: number) => ({
      prompt: `문제 ${step}`,
      answer: 42,
      lang: 'ko',
      responses: [
        { text: '<think>\n6 × 7 = 42\n</think>\n\n답은 \\boxed{42}입니다.', rewards: { total: 1.5, accuracy: 1, format: 1, language: 0.8 }, advantage: 0.9, spans: [{ start: 8, end: 16, kind: 'math' }] },
        { response: '몰라요', reward: 0, rewards: { accuracy: 0, format: 0, language: null }, truncated: true },
      ],
      advantages: [0.9, -0.9],
    });
    writeFileSync(join(folder.samplesDir, 'step-1.jsonl'), JSON.stringify(group(1)) + '\n');
    writeFileSync(join(folder.samplesDir, 'step-3.jsonl'), JSON.stringify(group(3)) + '\n' + JSON.stringify(group(3)) + '\n{"prompt":"torn');

    const newest = value(await call('runs.samples', { name: 'grpo-a' }));
    assert.deepEqual(newest.steps, [1, 3]);
    assert.equal(newest.step, 3);
    assert.equal(newest.groups.length, 2, 'the torn line is skipped');
    const [first] = value(await call('runs.samples', { name: 'grpo-a', step: 1 })).groups;
    assert.equal(first!.prompt, '문제 1');
    assert.equal(first!.answer, '42');
    assert.equal(first!.vps, null, 'no sampler: no score');
    const [right, wrong] = first!.responses;
    assert.equal(right!.reward, 1.5);
    assert.deepEqual(right!.rewards, { accuracy: 1, format: 1, language: 0.8 });
    assert.equal(right!.advantage, 0.9);
    assert.deepEqual(right!.spans, [{ start: 8, end: 16, kind: 'math' }]);
    assert.equal(wrong!.text, '몰라요');
    assert.equal(wrong!.reward, 0);
    assert.equal(wrong!.rewards.language, null);
    assert.equal(wrong!.advantage, -0.9, 'group-level advantages fill in');
    assert.equal(wrong!.truncated, true);
    assert.equal(failure(await call('runs.samples', { name: 'grpo-a', step: 2 })).code, 'not_found');
    assert.deepEqual(value(await call('runs.get', { name: 'grpo-a' })).sampleSteps, [1, 3]);

    await writeRun(root, 'no-samples', 1);
    assert.deepEqual(value(await call('runs.samples', { name: 'no-samples' })), { steps: [], step: null, groups: [] });
  });
});

test('runs.samples reads the GRPO trainer’s lines and moves its thinking-relative spans onto the response', async () => {
  await withWorkspace(async (call, root) => {
    const folder = await writeRun(root, 'grpo-real', 1, 'grpo');
    mkdirSync(folder.samplesDir, { recursive: true });
    const prompt = '3 × 4는 얼마인가요?';
    const text = '<think>\n  먼저 곱셈을 합니다. $3 \\times 4 = 12$ 이고 `x = 12` 로 둡니다.\n</think>\n\n답은 \\boxed{12}입니다.';
    // The reward composition GRPO uses, with spans, as the trainer calls it.
    const [breakdown] = await computeRewards([{ prompt, response: text, gold: '12' }], { accuracy: { weight: 1 }, format: { weight: 0.2 }, language: { weight: 0.5 } }, { spans: true });
    const language = breakdown!.components.language!.detail as LanguageResult;
    assert.ok(language.spans && language.spans.length >= 2);
    const line = {
      id: 'p1',
      prompt,
      answer: '12',
      lang: 'ko',
      vps: 0.4375,
      category: 'b1',
      responses: [{
        text,
        tokens: 40,
        finishReason: 'length',
        reward: breakdown!.total,
        shapedReward: breakdown!.total,
        components: Object.fromEntries(Object.entries(breakdown!.components).map(([k, c]) => [k, c!.score])),
        reasons: [],
        advantage: 0.5,
        lang: 0.9,
        stripped: language.spans,
      }],
    };
    writeFileSync(join(folder.samplesDir, 'step-1.jsonl'), JSON.stringify(line) + '\n');
    const [group] = value(await call('runs.samples', { name: 'grpo-real' })).groups;
    assert.equal(group!.vps, 0.4375, 'variance-aware sampling: the prompt score reaches the rollout viewer');
    assert.equal(group!.category, 'b1', 'curriculum category');
    const [response] = group!.responses;
    assert.equal(response!.reward, breakdown!.total);
    assert.deepEqual(Object.keys(response!.rewards).sort(), ['accuracy', 'format', 'language']);
    assert.equal(response!.truncated, true);
    assert.equal(response!.lang, 0.9);
    // Each span now cuts the response where the scanner cut the thinking.
    const thinkingStart = text.indexOf('먼저');
    const thinking = text.slice(text.indexOf('<think>') + 7, text.indexOf('</think>')).trimStart();
    assert.equal(response!.spans.length, language.spans.length);
    response!.spans.forEach((s, i) => {
      const original = language.spans![i]!;
      assert.equal(text.slice(s.start, s.end), thinking.slice(original.start, original.end));
      assert.ok(s.start >= thinkingStart);
    });
    assert.ok(response!.spans.some((s) => text.slice(s.start, s.end).includes('\\times')), 'the formula is among them');
  });
});

test('runs.start validates the config with the trainer schema and refuses a taken name', async () => {
  await withWorkspace(async (call, root) => {
    const bad = failure(await call('runs.start', { kind: 'sft', config: { data: 'arith', learningRate: -1 } }));
    assert.equal(bad.code, 'invalid_input');
    assert.match(bad.message, /model/);
    assert.match(bad.message, /learningRate/);
    assert.equal(failure(await call('runs.start', { kind: 'grpo', config: { model: 'm' } })).code, 'invalid_input');
    assert.equal(failure(await call('runs.start', { kind: 'dpo', config: {} })).code, 'invalid_input');
    await writeRun(root, 'taken', 2);
    const taken = failure(await call('runs.start', { kind: 'sft', config: { name: 'taken', model: 'm', data: 'd' } }));
    assert.equal(taken.code, 'conflict');
    assert.equal(failure(await call('runs.start', { kind: 'sft', config: { name: 'a/b', model: 'm', data: 'd' } })).code, 'invalid_input');
  });
});

test('start, stop and resume go through the job kind; the list follows the job and a resumed run continues its curve', async () => {
  await withWorkspace(async (call) => {
    const started = value(await call('runs.start', { kind: 'sft', config: { model: 'models/tiny', data: 'arith', maxSteps: 400 } }));
    assert.equal(started.run, 'sft', 'the first free name of the kind');
    await until('a few steps', async () => {
      const run = value(await call('runs.list', {})).find((r) => r.name === 'sft');
      return run && run.step >= 3 && run.job?.progress ? run : null;
    });
    const listed = value(await call('runs.list', {}))[0]!;
    assert.equal(listed.status, 'running');
    assert.equal(listed.job!.id, started.jobId);
    assert.equal(listed.job!.progress!.total, 400);
    assert.equal(failure(await call('runs.resume', { name: 'sft' })).code, 'conflict', 'no second job on a running run');

    const stop = value(await call('runs.stop', { name: 'sft' }));
    assert.deepEqual(stop, { stopped: true, jobId: started.jobId });
    const stopped = await until('stopped', async () => {
      const run = value(await call('runs.get', { name: 'sft' })).run;
      return run.status === 'stopped' && run.job?.status === 'cancelled' ? run : null;
    });
    assert.ok(stopped.step < 400);
    assert.deepEqual(value(await call('runs.stop', { name: 'sft' })), { stopped: false, jobId: started.jobId });

    // The second start of the same config gets the next free name.
    const second = value(await call('runs.start', { kind: 'sft', config: { model: 'models/tiny', data: 'arith', maxSteps: 2 } }));
    assert.equal(second.run, 'sft-2');

    const resumed = value(await call('runs.resume', { name: 'sft' }));
    assert.notEqual(resumed.jobId, started.jobId);
    // Shorten the wait: stop the resumed job again after it moved on, then check the curve has no gaps or repeats.
    await until('resumed steps', async () => {
      const run = value(await call('runs.get', { name: 'sft' })).run;
      return run.job?.id === resumed.jobId && run.step >= stopped.step + 3 ? run : null;
    });
    value(await call('runs.stop', { name: 'sft' }));
    const final = await until('stopped again', async () => {
      const run = value(await call('runs.get', { name: 'sft' })).run;
      return run.status === 'stopped' && run.job?.status === 'cancelled' ? run : null;
    });
    const steps = value(await call('runs.metrics', { name: 'sft', from: 0 })).records.map((r) => r.step);
    assert.deepEqual(steps, Array.from({ length: final.step }, (_, i) => i + 1));
    await until('sft-2 finished', async () => value(await call('runs.list', {})).find((r) => r.name === 'sft-2' && r.status === 'finished'));
    assert.equal(failure(await call('runs.resume', { name: 'sft-2' })).code, 'conflict', 'a finished run is not resumed');
  });
});

test('a run whose job died without updating run.json is listed as failed', async () => {
  await withWorkspace(async (call) => {
    value(await call('runs.start', { kind: 'sft', config: { name: 'dies', model: 'crash', data: 'arith' } }));
    const run = await until('the crash to show', async () => {
      const r = value(await call('runs.list', {})).find((x) => x.name === 'dies');
      return r && r.job?.status === 'failed' ? r : null;
    });
    assert.equal(run.status, 'failed');
    assert.equal(run.stale, true);
  });
});

test('runs.estimate counts the model from config.json and refuses what cannot fit the device', async () => {
  await withWorkspace(async (call, root) => {
    writeQwen2Config(join(workspacePaths(root).models, 'tiny'));
    const base = { model: 'tiny', data: 'arith', batchSize: 4, maxSeqLength: 128 };
    const full = value(await call('runs.estimate', { kind: 'sft', config: base, provider: 'cpu' }));
    // By hand: embeddings 100·64; per layer q 64·64+64, k and v 64·32+32 each, o 64·64, MLP 3·64·128, norms 2·64; final norm 64.
    const perLayer = 64 * 64 + 64 + 2 * (64 * 32 + 32) + 64 * 64 + 3 * 64 * 128 + 2 * 64;
    assert.equal(full.parameters, 100 * 64 + 2 * perLayer + 64);
    assert.equal(full.trainableParameters, full.parameters);
    assert.equal(full.weights, full.parameters * 4);
    assert.equal(full.optimizer, full.parameters * 8);
    assert.equal(full.total, full.weights + full.gradients + full.optimizer + full.activations);
    assert.equal(full.device.provider, 'cpu');
    assert.equal(full.fits, true);
    assert.deepEqual(full.advice, []);

    const lora = value(await call('runs.estimate', { kind: 'sft', config: { ...base, method: { kind: 'lora', r: 4 } }, provider: 'cpu' }));
    // r·(in + out) per adapted Linear per layer: q 64+64, k 64+32, v 64+32, o 64+64, gate/up 64+128, down 128+64.
    assert.equal(lora.trainableParameters, 2 * 4 * (128 + 96 + 96 + 128 + 3 * 192));
    assert.ok(lora.total < full.total);

    const layer0 = value(await call('runs.estimate', { kind: 'sft', config: { ...base, method: { kind: 'selective', layers: [0] } }, provider: 'cpu' }));
    assert.equal(layer0.trainableParameters, perLayer);
    // The planner's peak rides along (the number pipeline check gives for the same shape) and decides fits too;
    // selective tuning is not planned.
    const model = loadModelConfig(join(workspacePaths(root).models, 'tiny'));
    const shape = { sequences: 4, seqLength: 128, checkpointing: false, lossChunks: 1, accumulation: false, scorer: false };
    assert.equal(full.plannedPeakBytes, trainingMemoryBytes(model, shape, 'cpu'));
    assert.equal(lora.plannedPeakBytes, trainingMemoryBytes(model, { ...shape, loraRank: 4 }, 'cpu'));
    assert.deepEqual(full.gpuFits, { '24GB': true, '40GB': true, '80GB': true });
    assert.equal(layer0.plannedPeakBytes, undefined);

    // A 70B-sized config on this machine's RAM: refused, with a way out.
    writeQwen2Config(join(workspacePaths(root).models, 'huge'), { hidden_size: 8192, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, intermediate_size: 28672, vocab_size: 152064, tie_word_embeddings: false });
    const huge = value(await call('runs.estimate', { kind: 'sft', config: { ...base, model: 'huge' }, provider: 'cpu' }));
    assert.equal(huge.fits, false);
    assert.ok(huge.advice.length > 0);
    assert.ok(huge.total > huge.device.memoryBytes);
    assert.ok(huge.plannedPeakBytes! > huge.total, 'the planner counts the copies onnxruntime holds');
    assert.deepEqual(huge.gpuFits, { '24GB': false, '40GB': false, '80GB': false });

    const grpo = value(await call('runs.estimate', { kind: 'grpo', config: { model: 'tiny', prompts: { dataset: 'arith' }, rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 64 } }, provider: 'cpu' }));
    assert.equal(grpo.batchSize, 8, 'promptsPerStep × groupSize responses per update');
    assert.equal(grpo.seqLength, 64 + 256);

    assert.equal(failure(await call('runs.estimate', { kind: 'sft', config: { ...base, model: 'missing' }, provider: 'cpu' })).code, 'invalid_input');
    // A form without its dataset chosen yet is estimated all the same (the estimate never reads data).
    assert.equal(value(await call('runs.estimate', { kind: 'sft', config: { ...base, data: '' }, provider: 'cpu' })).total, full.total);
    assert.equal(value(await call('runs.estimate', { kind: 'grpo', config: { model: 'tiny', prompts: { dataset: '' } }, provider: 'cpu' })).seqLength, 512 + 256);
    // A reward model is planned from its own fields: two sequences per pair (pairsPerBatch) of maxLength tokens
    // (it read SFT's batchSize / maxSeqLength, which RM configs do not have, and always planned 8 × 1024).
    const rm = value(await call('runs.estimate', { kind: 'rm', config: { model: 'tiny', data: '', pairsPerBatch: 3, maxLength: 200 }, provider: 'cpu' }));
    assert.equal(rm.batchSize, 6);
    assert.equal(rm.seqLength, 200);
    const rmDefaults = value(await call('runs.estimate', { kind: 'rm', config: { model: 'tiny', data: 'prefs' }, provider: 'cpu' }));
    assert.deepEqual([rmDefaults.batchSize, rmDefaults.seqLength], [16, 1024]);
    assert.ok(rmDefaults.total > rm.total);
    assert.equal(failure(await call('runs.estimate', { kind: 'rm', config: { model: 'tiny', data: 'prefs', pairsPerBatch: 0 }, provider: 'cpu' })).code, 'invalid_input');
    assert.equal(failure(await call('runs.estimate', { kind: 'sft', config: { ...base, learningRate: -1 }, provider: 'cpu' })).code, 'invalid_input');
  });
});

test('runs.models lists workspace model folders and finished runs’ outputs', async () => {
  await withWorkspace(async (call, root) => {
    writeQwen2Config(join(workspacePaths(root).models, 'tiny'));
    mkdirSync(join(workspacePaths(root).models, 'not-a-model'), { recursive: true });
    const folder = await writeRun(root, 'sft-done', 2);
    writeQwen2Config(folder.outputDir);
    await folder.update({ output: folder.outputDir });
    const models = value(await call('runs.models', {}));
    assert.deepEqual(models.map((m) => [m.name, m.source]), [['tiny', 'workspace'], ['sft-done (output)', 'run']]);
    assert.equal(models[0]!.family, 'qwen2');
    assert.equal(models[0]!.task, 'causal-lm');
    assert.equal(models[1]!.run, 'sft-done');
    assert.equal(models[1]!.path, folder.outputDir);
  });
});
