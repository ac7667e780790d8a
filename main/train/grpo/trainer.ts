// The GRPO trainer: rollouts → rewards → advantages → μ epochs of clipped-ratio updates, step after step,
// into a run folder (run.json, config.yaml, metrics.jsonl, samples/step-N.jsonl, checkpoints/, output/).
//
// One concept per file: rollout.ts (sampling and generation), score.ts (rewards, dynamic sampling's rule),
// update.ts (advantages and optimizer steps, out-of-memory recovery), step-log.ts (metrics, samples, log),
// evaluate.ts (held-out), output.ts (the trained model). This loop only sets up, orders them and
// checkpoints. Exact resume: a checkpoint after step N holds the trainable weights, AdamW state, the run's
// RNG (which seeds every rollout), the data cursor, the difficulty-filter history and the replay buffer, so
// a resumed run draws the same samples and takes the same updates as an uninterrupted one.
import { mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { chooseExecutionProvider, loadLatestCheckpoint, processTraffic, Rng, saveCheckpoint, trafficSince, type RngState } from '../../engine/index.ts';
import { defaultPrecision } from '../../models/fine-tune.ts';
import { formatBytes } from '../../models/memory.ts';
import { readLoraAdapter } from '../../models/peft.ts';
import { RewardModel } from '../../models/reward-model.ts';
import { Tokenizer } from '../../models/tokenizer.ts';
import { openModelFolder } from '../../models/weight-files.ts';
import { loadModel } from '../../models/weights.ts';
import { JudgeClient } from '../../llm/judge-client.ts';
import type { RewardDeps } from '../../rewards/compose.ts';
import { freeRunName, RunFolder } from '../run/index.ts';
import type { GrpoResult, RunGrpoOptions } from './api.ts';
import { DifficultyFilter, ReplayBuffer, type ReplayEntry } from './batch-shaping.ts';
import { parseGrpoConfig, trajectoryConfig, type GrpoConfig, type GrpoConfigInput } from './config.ts';
import { evaluateHeldOut, type HeldOutContext } from './evaluate.ts';
import { PolicyGenerator } from './generator.ts';
import { checkMemory } from './memory-check.ts';
import { writeOutput } from './output.ts';
import { PromptSelector, type SelectorState } from './prompt-selector.ts';
import { loadPrompts, type GrpoPrompt } from './prompts.ts';
import { collectGroups, type RolloutContext } from './rollout.ts';
import { logSkippedStep, logStep } from './step-log.ts';
import { Stopped, throwIfStopped } from './stopped.ts';
import { PolicyUpdater, stepAdvantages } from './update.ts';
import { describeStepRunner } from '../shared/step-runs.ts';
import { batchedCalls } from './batched-calls.ts';

// Kept importable from here (tests and callers of the one-file trainer).
export { checkMemory } from './memory-check.ts';
export { scoreGroups, teachesNothing, type ScoredGroup } from './score.ts';

/** Where the prompt stream is: epoch (each a fresh shuffle) and index in it. */
interface DataCursor {
  epoch: number;
  index: number;
  difficulty: Record<string, number[]>;
  replay: ReplayEntry[];
  /** Variance-aware sampling / curriculum state (absent in runs that use neither, and in older checkpoints). */
  selector?: SelectorState;
}

function stepOrder(prompts: number, seed: number, epoch: number): number[] {
  return new Rng(seed * 7919 + epoch + 1).shuffle(Array.from({ length: prompts }, (_, i) => i));
}

export async function runGrpo(input: GrpoConfig | GrpoConfigInput, options: RunGrpoOptions): Promise<GrpoResult> {
  const config = parseGrpoConfig(input);
  const log = options.log ?? (() => {});
  const workspace = resolve(options.workspace);
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const modelDir = resolve(baseDir, config.model);
  const hf = loadModel(modelDir);
  const tokenizer = Tokenizer.load(modelDir);
  const prompts = await loadPrompts(config.prompts, { workspace, baseDir, categoryColumn: config.curriculum.enabled && config.curriculum.by === 'column' ? config.curriculum.column : undefined });
  const heldOut = config.heldOut ? await loadPrompts(config.heldOut, { workspace, baseDir }) : [];
  // Keep <think> tags (special tokens in some tokenizers): format and language rewards read them. Drop only the stop tokens.
  const stopIds = new Set(hf.config.eosTokenIds);
  const decode = (ids: readonly number[]) => tokenizer.decode(ids.filter((id) => !stopIds.has(id)), { skipSpecialTokens: false });
  const encodePrompt = (p: GrpoPrompt) => tokenizer.encodeChat([{ role: 'user', content: p.prompt }], { addGenerationPrompt: true });
  const promptIds = new Map(prompts.map((p) => [p.id, encodePrompt(p)]));
  const memory = checkMemory(config, hf, Math.max(...[...promptIds.values()].map((ids) => ids.length)));
  log(`memory estimate ${formatBytes(memory.bytes)} of ${formatBytes(memory.limit)}`);

  const name = config.name ?? freeRunName(workspace, `${basename(modelDir)}-grpo`);
  const run = RunFolder.inWorkspace(workspace, name);
  await run.create({ name, kind: 'grpo', config, totalSteps: config.steps, baseModel: modelDir, data: config.prompts.dataset ?? config.prompts.path });

  // Rewards: the same composition as data filtering and evaluation.
  const deps: RewardDeps = { spans: true };
  let rewardModel: RewardModel | null = null;
  if (config.rewards.rewardModel) {
    const rmDir = resolve(baseDir, config.rewardModelPath!);
    // The scorer maps the reward model's files (no copy in JS, #30).
    const rm = openModelFolder(rmDir);
    if (rm.config.task !== 'sequence-classification') throw new Error(`rewardModelPath ${rmDir} is a ${rm.config.architecture}, not a sequence classifier`);
    // On the run's device, and batched: the samples the reward composition scores at once go in one run.
    rewardModel = await RewardModel.create(rm.config, new Map(), { weightFiles: rm.weightFiles, provider: (await chooseExecutionProvider(config.provider)).provider });
    const rmTokenizer = Tokenizer.load(rmDir);
    const score = batchedCalls((items: { prompt: string; summary: string }[]) => rewardModel!.rewards(items.map(({ prompt, summary }) => rmTokenizer.encodeChat([{ role: 'user', content: prompt }, { role: 'assistant', content: summary }]))));
    deps.scorer = (prompt, summary) => score({ prompt, summary });
  }
  if (config.rewards.judge) deps.judge = new JudgeClient({ baseUrl: config.judge!.baseUrl, model: config.judge!.model, apiKey: process.env[config.judge!.apiKeyEnv] });

  const adapter = config.method.kind === 'lora' && config.method.adapter ? readLoraAdapter(resolve(baseDir, config.method.adapter)) : undefined;
  const updater = await PolicyUpdater.create(hf, config, adapter, config.precision ?? (await defaultPrecision(config.provider)));
  log(`update ${describeStepRunner(updater.policy.runner, 'update')}`);

  // Resume.
  let rng = new Rng(config.seed);
  let cursor: DataCursor = { epoch: 0, index: 0, difficulty: {}, replay: [] };
  let startStep = 0;
  const checkpoint = loadLatestCheckpoint(run.checkpointsDir, { expectConfig: trajectoryConfig(config) });
  if (checkpoint) {
    updater.policy.loadState({ params: checkpoint.params, optimizerState: checkpoint.optimizerState, step: (checkpoint.dataCursor as { optimizerSteps: number }).optimizerSteps });
    rng = new Rng(checkpoint.rng as RngState);
    cursor = checkpoint.dataCursor as DataCursor;
    startStep = checkpoint.step;
    log(`resuming ${name} after step ${startStep}`);
  }
  const difficulty = new DifficultyFilter(config.difficultyFilter, cursor.difficulty);
  const replay = new ReplayBuffer(config.replay.size, cursor.replay);
  const metrics = run.openMetrics({ resumeAfterStep: startStep });
  mkdirSync(run.samplesDir, { recursive: true });
  await run.update({ status: 'running', step: startStep, totalSteps: config.steps, error: undefined });

  let order = stepOrder(prompts.length, config.seed, cursor.epoch);
  const nextPrompt = (): GrpoPrompt => {
    if (cursor.index >= order.length) {
      cursor.epoch++;
      cursor.index = 0;
      order = stepOrder(prompts.length, config.seed, cursor.epoch);
    }
    return prompts[order[cursor.index++]];
  };
  const selector = new PromptSelector(prompts, config, nextPrompt, cursor.selector);
  const checkSignal = () => throwIfStopped(options.signal);
  const padId = hf.config.padTokenId ?? hf.config.eosTokenIds[0] ?? 0;
  // The decode path line goes to the log once per run (the generator may fall back to the per-token path).
  const decodeLines = new Set<string>();
  const decodeLog = (line: string) => {
    if (!decodeLines.has(line)) log(line);
    decodeLines.add(line);
  };
  // One generator session for the whole run: base weights mapped from the checkpoint, the policy's
  // changing tensors fed at every run (generator.ts).
  const generator = new PolicyGenerator(hf.config, hf.weights, openModelFolder(modelDir).weightFiles, decodeLog, updater.policy.runner.provider.provider);
  const rolloutContext: RolloutContext = { config, model: hf.config, prompts, promptIds, decode, rewardDeps: deps, rng, selector, difficulty, replay, checkSignal, decodeLog, generator };
  const heldOutContext: HeldOutContext = { config, model: hf.config, heldOut, encodePrompt, decode, rewardDeps: deps, generator };
  let lastCheckpointStep = startStep;
  let lastTrain: Record<string, number> = {};
  let lastEval: Record<string, number> = {};

  const saveState = async (step: number) => {
    const state = await updater.policy.readState();
    const dataCursor = { ...cursor, difficulty: difficulty.state(), replay: replay.state(), selector: selector.state(), optimizerSteps: state.step };
    saveCheckpoint(run.checkpointsDir, { step, params: state.params, optimizerState: state.optimizerState, config: trajectoryConfig(config), dataCursor, rng: rng.getState() }, { keep: config.keepCheckpoints });
    lastCheckpointStep = step;
  };

  const evaluate = async (step: number) => {
    const result = await evaluateHeldOut(updater.policy, heldOutContext);
    if (!result) return;
    lastEval = result;
    metrics.append({ step, split: 'eval', ...lastEval });
    log(`step ${step} eval: accuracy ${lastEval.accuracy.toFixed(3)}, lang ${lastEval.lang.toFixed(3)}, reward ${lastEval.reward.toFixed(3)}`);
  };

  /** A step's bookkeeping, trained or skipped: checkpoint, evaluation, run.json and progress. */
  const endStep = async (step: number, progress: { reward: number; accuracy: number }) => {
    if (step % config.saveEvery === 0 || step === config.steps) await saveState(step);
    if (config.evalEvery > 0 && step % config.evalEvery === 0 && step !== config.steps) await evaluate(step);
    await run.update({ step });
    options.onProgress?.({ step, totalSteps: config.steps, ...progress });
  };

  try {
    if (startStep === 0 && config.evalEvery > 0) await evaluate(0);
    for (let step = startStep + 1; step <= config.steps; step++) {
      checkSignal();
      log(`step ${step}: rollouts`);
      const trafficAtStart = processTraffic();
      const rollout = await collectGroups(updater.policy, rolloutContext);
      if (rollout.groups.length === 0) {
        if (rollout.sampledGroups === 0) throw new Error(`step ${step}: no prompt could be sampled (${rollout.filtered} skipped by the difficulty filter); widen difficultyFilter.low/high`);
        // Every sampled group taught nothing (dynamic sampling dropped them all): keep the weights, record the
        // skipped update and go on — one barren step should not end a long run. The log says what to change.
        logSkippedStep(step, config, rollout, { metrics, log, traffic: trafficSince(trafficAtStart) });
        await endStep(step, { reward: NaN, accuracy: NaN });
        continue;
      }
      checkSignal();

      log(`step ${step}: update`);
      const advantages = stepAdvantages(rollout.groups, config);
      const G = config.rollout.groupSize;
      selector.learn(rollout.groups.map((g, gi) => ({ promptId: g.prompt.id, advantages: advantages.subarray(gi * G, (gi + 1) * G) })));
      const update = await updater.update(step, rollout.groups, advantages, { run, metrics, log, checkSignal, padId });

      lastTrain = logStep(step, config, rollout, update, advantages, { metrics, samplesDir: run.samplesDir, selector, log, traffic: trafficSince(trafficAtStart) });
      await endStep(step, { reward: lastTrain.reward, accuracy: lastTrain.accuracy });
    }

    await evaluate(config.steps);
    const output = await writeOutput(run.outputDir, updater.policy, hf, modelDir, config);
    const summary: Record<string, number> = { steps: config.steps, reward: lastTrain.reward ?? NaN };
    if (Number.isFinite(lastEval.accuracy)) summary.accuracy = lastEval.accuracy;
    if (Number.isFinite(lastEval.lang)) summary.lang = lastEval.lang;
    await run.update({ status: 'finished', step: config.steps, output, summary });
    return { run: name, output, summary };
  } catch (err) {
    if (err instanceof Stopped) {
      const done = run.info().step;
      if (done > lastCheckpointStep) await saveState(done);
      await run.update({ status: 'stopped' });
      return { run: name, output: '', summary: { steps: done } };
    }
    const diverged = (err as { code?: string }).code === 'diverged';
    await run.update({ status: diverged ? 'diverged' : 'failed', error: (err as Error).message });
    throw err;
  } finally {
    metrics.close();
    await generator.release();
    await updater.policy.release();
    await rewardModel?.release();
  }
}
