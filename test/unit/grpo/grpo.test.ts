// GRPO end to end on a tiny SFT-initialised model (fixtures.ts) and the Korean arithmetic task:
// learning, dynamic sampling, and exact resume after SIGKILL during rollouts and during the update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readMetrics } from '../../../main/train/run/index.ts';
import { runGrpo } from '../../../main/train/grpo/trainer.ts';
import { runResumeWorker, sftModel, writeTaskData } from './fixtures.ts';

const workspace = () => mkdtempSync(join(tmpdir(), 'grpo-test-'));
const trainPoints = (ws: string, run: string) => readMetrics(join(ws, 'runs', run, 'metrics.jsonl')).records.filter((r) => r.split === 'train');
const evalPoints = (ws: string, run: string) => readMetrics(join(ws, 'runs', run, 'metrics.jsonl')).records.filter((r) => r.split === 'eval');

// The learning test. Measured (fixture: 3-step problems, a teacher hasty 60% of the time, 1500 SFT steps;
// GRPO with LoRA r 8 at 3e-4, 36 steps of 8 prompts × 8 samples at temperature 0.7, rewards accuracy 1 /
// language 0.5 / format 0.2; 128 held-out problems seen neither in SFT nor among the GRPO prompts, greedy):
//   step          0      12     24     36
//   accuracy    0.266  0.383  0.516  0.508   (seeds 1 and 2: 0.266 → 0.531 and 0.531)
//   Korean      0.45   0.75   1.00   1.00    (score of the thinking; a one-line thinking cannot reach 1)
//   reward      0.69   0.96   1.22   1.21    (the run's reward of the greedy answers, same prompts each time)
// GRPO moves the student from the hasty one-line habit to working step by step, which is both more accurate
// and fully Korean. Other settings measured on this fixture raised accuracy too (full fine-tuning at 1e-4:
// 0.27 → 0.34–0.36 on a 128-problem held-out set drawn after 200 prompts; LoRA at 5e-4 or temperature 1: → 0.34–0.38). The train reward is NOT the measure: its
// prompts change every step, and with the learning rate at 1e-9 it still "rose" from 0.53 to 0.65 over 24 (two-step fixture)
// steps on prompt difficulty alone; so the test reads the held-out evaluation, whose prompts never change.
test('GRPO raises held-out greedy accuracy, the Korean share of the thinking and the reward of an SFT-initialised student (36 steps, 8 prompts × 8 samples, LoRA)', { timeout: 900_000 }, async () => {
  const model = await sftModel();
  const ws = workspace();
  const data = writeTaskData(ws, { train: 300, heldOut: 128 });
  const steps = 36;
  const result = await runGrpo(
    {
      name: 'learn',
      model,
      method: { kind: 'lora', r: 8, alpha: 16 },
      prompts: { path: data.train },
      heldOut: { path: data.heldOut },
      rollout: { groupSize: 8, promptsPerStep: 8, maxNewTokens: 112, temperature: 0.7 },
      rewards: { accuracy: { weight: 1 }, language: { weight: 0.5 }, format: { weight: 0.2 } },
      optimization: { learningRate: 3e-4 },
      steps,
      evalEvery: 12,
      saveEvery: 100,
    },
    { workspace: ws },
  );
  const train = trainPoints(ws, 'learn');
  assert.equal(train.length, steps);
  const evals = evalPoints(ws, 'learn');
  const [first, last] = [evals[0], evals[evals.length - 1]];
  assert.deepEqual(evals.map((e) => e.step), [0, 12, 24, 36]);
  const [acc0, acc1] = [first.accuracy as number, last.accuracy as number];
  assert.ok(acc0 >= 0.1 && acc0 < 0.4, `the SFT student solves some held-out problems, not most: ${acc0}`);
  // 128 problems: 0.1 is 13 problems, under half the measured gain (31 to 34 problems over three seeds).
  assert.ok(acc1 >= acc0 + 0.1, `held-out greedy accuracy should rise by ≥ 0.1: ${acc0} → ${acc1}`);
  assert.ok((first.lang as number) < 0.6, `the SFT student's greedy thinking is one hasty line (Korean score ${first.lang})`);
  assert.ok((last.lang as number) - (first.lang as number) >= 0.35, `held-out Korean score of the thinking should rise by ≥ 0.35: ${first.lang} → ${last.lang}`);
  assert.ok((last.reward as number) >= (first.reward as number) + 0.2, `held-out reward should rise by ≥ 0.2: ${first.reward} → ${last.reward}`);
  assert.equal(result.summary.accuracy, last.accuracy);
  for (const key of ['reward', 'rewards/accuracy/mean', 'rewards/language/mean', 'rewards/format/mean', 'clip_fraction', 'entropy', 'grad_norm', 'lr', 'rollout_s', 'update_s', 'rollout_tokens_per_s', 'update_tokens_per_s', 'zero_variance_share', 'thinking_length', 'response_length', 'lang']) {
    assert.ok(typeof train[0][key] === 'number', `metric ${key} is logged`);
  }
  const rollouts = (step: number) => readFileSync(join(ws, 'runs', 'learn', 'samples', `step-${step}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const samples = rollouts(1);
  assert.equal(samples.length, 8);
  assert.equal(samples[0].responses.length, 8);
  assert.ok('advantage' in samples[0].responses[0] && 'components' in samples[0].responses[0] && Array.isArray(samples[0].responses[0].stripped));
  // The behaviour GRPO selects, read from the rollouts themselves: the share of one-line (hasty) thinking falls.
  const hastyShare = (groups: { responses: { text: string }[] }[]) => {
    const texts = groups.flatMap((g) => g.responses.map((r) => r.text));
    return texts.filter((t) => /<think>\n[^\n]*\n<\/think>/.test(t)).length / texts.length;
  };
  const [hastyBefore, hastyAfter] = [hastyShare(rollouts(1)), hastyShare(rollouts(steps))];
  assert.ok(hastyBefore > 0.3 && hastyAfter < hastyBefore / 2, `one-line thinking in the rollouts: step 1 ${hastyBefore}, step ${steps} ${hastyAfter}`);
  // Advantage signs: within every group, a correct response gets a larger advantage than a wrong one in the same language.
  for (const g of samples) {
    for (const a of g.responses) for (const b of g.responses) {
      if (a.components.accuracy === 1 && b.components.accuracy === 0 && a.components.language === b.components.language && a.components.format === b.components.format) assert.ok(a.advantage > b.advantage);
    }
  }
});

test('dynamic sampling drops all-equal groups, refills from more prompts and logs the dropped share', async () => {
  const model = await sftModel();
  const ws = workspace();
  const data = writeTaskData(ws, { train: 100, heldOut: 4 });
  const G = 4;
  await runGrpo(
    {
      name: 'dyn',
      model,
      method: { kind: 'lora', r: 4, alpha: 8 },
      prompts: { path: data.train },
      // Accuracy alone: most groups of this weak base are all wrong (all-equal rewards).
      rewards: { accuracy: { weight: 1 } },
      // 80 tokens: a two-step answer needs about 65 (a truncated one is always wrong, so every group would be).
      rollout: { groupSize: G, promptsPerStep: 2, maxNewTokens: 80 },
      dynamicSampling: { enabled: true, maxRounds: 3 },
      optimization: { learningRate: 1e-3 },
      steps: 2,
      saveEvery: 100,
    },
    { workspace: ws },
  );
  const train = trainPoints(ws, 'dyn');
  assert.ok(train.some((p) => (p.dropped_share as number) > 0), `some groups were dropped: ${train.map((p) => p.dropped_share)}`);
  // Per-step traffic (#20), every engine counter between the step's start and its record (rollouts, log-probs,
  // update): at least the update's LoRA params in, and the rollouts' token ids (int64) out.
  for (const p of train) {
    assert.ok(Number.isSafeInteger(p.traffic_h2d) && Number.isSafeInteger(p.traffic_d2h), JSON.stringify(p));
    assert.ok((p.traffic_d2h as number) >= 8 * (p.response_length as number) * G * (p.groups as number), `${p.traffic_d2h} B out`);
  }
  for (const step of [1, 2]) {
    const groups = readFileSync(join(ws, 'runs', 'dyn', 'samples', `step-${step}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const g of groups) {
      const rewards = g.responses.map((r: { reward: number }) => r.reward);
      assert.ok(Math.max(...rewards) > Math.min(...rewards), 'every kept group has reward variance');
    }
    assert.equal(train[step - 1].zero_variance_share, 0);
  }
});

test('SIGKILL during rollouts and during the update, then resume, reproduces the uninterrupted run', () => {
  const runWorker = runResumeWorker;
  return (async () => {
    const model = await sftModel();
    const ws = workspace();
    const data = writeTaskData(ws, { train: 40, heldOut: 2 });
    const config = (name: string) => ({
      name,
      model,
      method: { kind: 'lora', r: 4, alpha: 8 },
      prompts: { path: data.train },
      rewards: { accuracy: { weight: 1 }, language: { weight: 0.5 } },
      rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 40 },
      objective: { updateEpochs: 2, miniBatch: 4 },
      optimization: { learningRate: 1e-3 },
      steps: 4,
      saveEvery: 1,
    });
    const whole = runWorker(config('whole'), ws);
    assert.equal(whole.status, 0, whole.stderr);
    const killed = runWorker(config('killed'), ws, 'step 2: rollouts');
    assert.equal(killed.signal, 'SIGKILL', 'killed during step 2 rollouts');
    const killedAgain = runWorker(config('killed'), ws, 'step 4: update');
    assert.equal(killedAgain.signal, 'SIGKILL', 'killed during step 4 update');
    const resumed = runWorker(config('killed'), ws);
    assert.equal(resumed.status, 0, resumed.stderr);
    const a = trainPoints(ws, 'whole');
    const b = trainPoints(ws, 'killed');
    assert.deepEqual(b.map((p) => p.step), [1, 2, 3, 4]);
    for (const key of ['reward', 'loss', 'grad_norm', 'kl', 'response_length']) assert.deepEqual(b.map((p) => p[key]), a.map((p) => p[key]), key);
    for (const file of readdirSync(join(ws, 'runs', 'whole', 'output', 'adapter'))) {
      assert.deepEqual(readFileSync(join(ws, 'runs', 'killed', 'output', 'adapter', file)), readFileSync(join(ws, 'runs', 'whole', 'output', 'adapter', file)), `adapter file ${file}`);
    }
  })();
});

test('train grpo --json prints the command\'s traffic; each step\'s metrics traffic is part of it', async () => {
  const model = await sftModel();
  const dir = workspace();
  const ws = join(dir, 'ws');
  const data = writeTaskData(dir, { train: 20, heldOut: 2 });
  const configPath = join(dir, 'grpo.yaml');
  writeFileSync(configPath, stringify({ name: 'cli', model, method: { kind: 'lora', r: 4, alpha: 8 }, prompts: { path: data.train }, rewards: { accuracy: { weight: 1 } }, rollout: { groupSize: 2, promptsPerStep: 2, maxNewTokens: 16 }, steps: 2, saveEvery: 100 }));
  const cli = spawnSync(process.execPath, [join(import.meta.dirname, '../../../bin/saenggak.js'), 'train', 'grpo', '--config', configPath, '--workspace', ws, '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout.trim().split('\n').at(-1)!);
  assert.equal(summary.steps, 2);
  const train = trainPoints(ws, 'cli');
  assert.equal(train.length, 2);
  for (const way of ['h2d', 'd2h'] as const) {
    const total = summary.traffic[way === 'h2d' ? 'hostToDevice' : 'deviceToHost'] as number;
    const steps = train.reduce((n, p) => n + (p[`traffic_${way}`] as number), 0);
    assert.ok(train.every((p) => (p[`traffic_${way}`] as number) > 0) && steps <= total, `${way}: steps ${steps} B within the command's ${total} B`);
  }
  assert.match(cli.stderr, /generation: decode loop/);
});
