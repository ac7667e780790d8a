// The GRPO trainer: rollouts → rewards → advantages → μ epochs of clipped-ratio updates, step after step,
// into a run folder (run.json, config.yaml, metrics.jsonl, samples/step-N.jsonl, checkpoints/, output/).
//
// Phases are separate functions (collectGroups, scoreGroups, update, evaluate); the loop only orders
// them, logs and checkpoints. Exact resume: a checkpoint after step N holds the trainable weights, AdamW
// state, the run's RNG (which seeds every rollout), the data cursor, the difficulty-filter history and the
// replay buffer, so a resumed run draws the same samples and takes the same updates as an uninterrupted one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadLatestCheckpoint, Rng, saveCheckpoint, type RngState } from '../../engine/index.ts';
import { afterOutOfMemory, classifyDeviceError, type BatchShape } from '../../devices/oom.ts';
import { DecoderSession } from '../../models/decoder-session.ts';
import { generate, type GeneratedSequence } from '../../models/generate.ts';
import { defaultPrecision } from '../../models/fine-tune.ts';
import { estimateTrainingMemory, formatBytes } from '../../models/memory.ts';
import { mergeLoraAdapter, readLoraAdapter, writeLoraAdapter } from '../../models/peft.ts';
import { RewardModel } from '../../models/reward-model.ts';
import { Tokenizer } from '../../models/tokenizer.ts';
import { loadModel, saveModel } from '../../models/weights.ts';
import { computeRewards, JudgeClient, splitThinking, thinkingLanguage, verifyResponse, type RewardBreakdown } from '../../rewards/index.ts';
import type { RewardDeps } from '../../rewards/compose.ts';
import { writeFileAtomic } from '../../store/durable.ts';
import { assertFinite, freeRunName, learningRateAt, RunFolder } from '../run/index.ts';
import { groupAdvantages, overlongPenalty, zeroVarianceGroups } from './advantages.ts';
import type { GrpoResult, RunGrpoOptions } from './api.ts';
import { DifficultyFilter, ReplayBuffer, type ReplayEntry } from './batch-shaping.ts';
import { parseGrpoConfig, type DynamicSamplingBy, type GrpoConfig, type GrpoConfigInput } from './config.ts';
import { packBatch, Policy } from './policy.ts';
import { PromptSelector, type SelectorState } from './prompt-selector.ts';
import { loadPrompts, type GrpoPrompt } from './prompts.ts';

/** Where the prompt stream is: epoch (each a fresh shuffle) and index in it. */
interface DataCursor {
  epoch: number;
  index: number;
  difficulty: Record<string, number[]>;
  replay: ReplayEntry[];
  /** Variance-aware sampling / curriculum state (absent in runs that use neither, and in older checkpoints). */
  selector?: SelectorState;
}

/** One prompt with its G responses, scored. */
export interface ScoredGroup {
  prompt: GrpoPrompt;
  promptIds: number[];
  responses: { tokens: number[]; text: string; finishReason: string; replayed: boolean }[];
  rewards: RewardBreakdown[];
  /** Reward used for the advantage (total, plus the soft over-long penalty). */
  shaped: number[];
  accuracy: (number | null)[];
  /** Target-language share of the thinking per response. */
  lang: number[];
}

class Stopped extends Error {}

/**
 * Dynamic sampling's rule: a group teaches nothing when its chosen score is the same for every response
 * (`accuracy`: all right or all wrong, DAPO). `total` compares the shaped reward the advantages use. A group
 * whose chosen component does not apply to some response (no gold answer) is kept.
 */
export function teachesNothing(g: Pick<ScoredGroup, 'rewards' | 'shaped'>, by: DynamicSamplingBy): boolean {
  if (by === 'total') return zeroVarianceGroups(g.shaped, g.shaped.length)[0];
  const scores = g.rewards.map((r) => r.components[by]?.score);
  if (scores.some((s) => typeof s !== 'number')) return false;
  return zeroVarianceGroups(scores as number[], scores.length)[0];
}

function stepOrder(prompts: number, seed: number, epoch: number): number[] {
  return new Rng(seed * 7919 + epoch + 1).shuffle(Array.from({ length: prompts }, (_, i) => i));
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Refuses a config whose estimated training memory does not fit, saying what to change. */
export function checkMemory(config: GrpoConfig, model: { config: import('../../models/config.ts').ModelConfig }, maxPromptTokens: number): { bytes: number; limit: number } {
  const rows = config.objective.miniBatch ?? config.rollout.promptsPerStep * config.rollout.groupSize;
  const seqLength = maxPromptTokens + config.rollout.maxNewTokens;
  const estimate = estimateTrainingMemory(model.config, {
    batchSize: rows,
    seqLength,
    loraRank: config.method.kind === 'lora' ? config.method.r : undefined,
  });
  const bytes = config.method.kind === 'lora' ? estimate.lora.total : estimate.full.total;
  const limit = config.memoryLimitGiB !== undefined ? config.memoryLimitGiB * 2 ** 30 : totalmem();
  if (bytes > limit) {
    const advice = [
      `set objective.miniBatch below ${rows} (responses per optimizer step)`,
      `lower rollout.maxNewTokens (${config.rollout.maxNewTokens})`,
      config.method.kind !== 'lora' ? 'use method: {kind: lora}' : `lower method.r (${config.method.r})`,
    ];
    throw new Error(`GRPO would need about ${formatBytes(bytes)} for ${rows} responses of up to ${seqLength} tokens, more than the ${formatBytes(limit)} available; ${advice.join(', or ')}`);
  }
  return { bytes, limit };
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
    const rm = loadModel(rmDir);
    if (rm.config.task !== 'sequence-classification') throw new Error(`rewardModelPath ${rmDir} is a ${rm.config.architecture}, not a sequence classifier`);
    rewardModel = await RewardModel.create(rm.config, rm.weights);
    const rmTokenizer = Tokenizer.load(rmDir);
    deps.scorer = async (prompt, summary) =>
      (await rewardModel!.rewards([rmTokenizer.encodeChat([{ role: 'user', content: prompt }, { role: 'assistant', content: summary }])]))[0];
  }
  if (config.rewards.judge) deps.judge = new JudgeClient({ baseUrl: config.judge!.baseUrl, model: config.judge!.model, apiKey: process.env[config.judge!.apiKeyEnv] });

  const adapter = config.method.kind === 'lora' && config.method.adapter ? readLoraAdapter(resolve(baseDir, config.method.adapter)) : undefined;
  const precisionDefault = await defaultPrecision(config.provider);
  const policyOptions = (gradAccumulation: number) => ({
    objective: { epsLow: config.objective.clip.epsLow, epsHigh: config.objective.clip.epsHigh, clipMode: config.objective.clip.mode, aggregation: config.objective.lossAggregation, beta: config.objective.kl.beta, maxNewTokens: config.rollout.maxNewTokens },
    adamw: { weightDecay: config.optimization.weightDecay, beta1: config.optimization.beta1, beta2: config.optimization.beta2 },
    maxGradNorm: config.optimization.maxGradNorm,
    provider: config.provider,
    temperature: config.rollout.temperature,
    adapter,
    gradientCheckpointing: config.gradientCheckpointing,
    precision: config.precision ?? precisionDefault,
    gradAccumulation,
  });
  // Rows per update graph: the whole mini-batch until an out-of-memory halves it (same updates, #21).
  let shape: BatchShape = { microBatch: config.objective.miniBatch ?? config.rollout.promptsPerStep * config.rollout.groupSize, accumulation: 1 };
  let outOfMemory = 0;
  let policy = await Policy.create(hf.config, hf.weights, config.method, policyOptions(1));

  // Resume.
  let rng = new Rng(config.seed);
  let cursor: DataCursor = { epoch: 0, index: 0, difficulty: {}, replay: [] };
  let startStep = 0;
  const checkpoint = loadLatestCheckpoint(run.checkpointsDir, { expectConfig: JSON.parse(JSON.stringify(config)) });
  if (checkpoint) {
    policy.loadState({ params: checkpoint.params, optimizerState: checkpoint.optimizerState, step: (checkpoint.dataCursor as { optimizerSteps: number }).optimizerSteps });
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
  const checkSignal = () => {
    if (options.signal?.aborted) throw new Stopped('stopped');
  };
  const padId = hf.config.padTokenId ?? hf.config.eosTokenIds[0] ?? 0;
  let lastCheckpointStep = startStep;
  let lastTrain: Record<string, number> = {};
  let lastEval: Record<string, number> = {};

  const saveState = async (step: number) => {
    const state = await policy.readState();
    const dataCursor = { ...cursor, difficulty: difficulty.state(), replay: replay.state(), selector: selector.state(), optimizerSteps: state.step };
    saveCheckpoint(run.checkpointsDir, { step, params: state.params, optimizerState: state.optimizerState, config: JSON.parse(JSON.stringify(config)), dataCursor, rng: rng.getState() }, { keep: config.keepCheckpoints });
    lastCheckpointStep = step;
  };

  /** A step's bookkeeping, trained or skipped: checkpoint, evaluation, run.json and progress. */
  const endStep = async (step: number, progress: { reward: number; accuracy: number }) => {
    if (step % config.saveEvery === 0 || step === config.steps) await saveState(step);
    if (config.evalEvery > 0 && step % config.evalEvery === 0 && step !== config.steps) await evaluate(step);
    await run.update({ step });
    options.onProgress?.({ step, totalSteps: config.steps, ...progress });
  };

  const evaluate = async (step: number) => {
    if (!heldOut.length) return;
    const { weights, adapter: current } = await policy.generatorWeights();
    const session = await DecoderSession.create(hf.config, weights, { kvCache: true, lastPositionLogits: true, adapter: current });
    try {
      const outs = await generate(session, heldOut.map(encodePrompt), { maxNewTokens: config.heldOut!.maxNewTokens ?? config.rollout.maxNewTokens, decode, stopStrings: config.rollout.stopStrings.length ? config.rollout.stopStrings : undefined });
      const acc = outs.map((o, i) => (heldOut[i].answer ? (verifyResponse(o.text!, heldOut[i].answer!).correct ? 1 : 0) : 0));
      const lang = outs.map((o, i) => thinkingLanguage(o.text!, heldOut[i].prompt, heldOut[i].lang ?? undefined).score ?? 0);
      // The run's own reward on the same held-out prompts at every evaluation: unlike the train reward, whose
      // prompts change from step to step (and with them the difficulty), this one compares like with like.
      const rewards = await computeRewards(
        outs.map((o, i) => ({ prompt: heldOut[i].prompt, response: o.text!, gold: heldOut[i].answer ?? undefined, target: heldOut[i].lang ?? undefined })),
        config.rewards,
        deps,
      );
      lastEval = { accuracy: mean(acc), lang: mean(lang), reward: mean(rewards.map((r) => r.total)) };
      metrics.append({ step, split: 'eval', ...lastEval });
      log(`step ${step} eval: accuracy ${lastEval.accuracy.toFixed(3)}, lang ${lastEval.lang.toFixed(3)}, reward ${lastEval.reward.toFixed(3)}`);
    } finally {
      await session.release();
    }
  };

  try {
    if (startStep === 0 && config.evalEvery > 0) await evaluate(0);
    for (let step = startStep + 1; step <= config.steps; step++) {
      checkSignal();
      // ---- rollouts (+ rewards, dynamic sampling, difficulty filter, replay)
      log(`step ${step}: rollouts`);
      const t0 = performance.now();
      const { weights, adapter: current } = await policy.generatorWeights();
      const generator = await DecoderSession.create(hf.config, weights, { kvCache: true, lastPositionLogits: true, adapter: current });
      const groups: ScoredGroup[] = [];
      let generated = 0;
      let rewardSeconds = 0;
      let sampledGroups = 0;
      let dropped = 0;
      let filtered = 0;
      let replayed = 0;
      selector.beginStep();
      const picked = new Set<string>();
      try {
        const rounds = config.dynamicSampling.enabled ? 1 + config.dynamicSampling.maxRounds : 1;
        for (let round = 0; round < rounds && groups.length < config.rollout.promptsPerStep; round++) {
          checkSignal();
          const want = config.rollout.promptsPerStep - groups.length;
          const batch: GrpoPrompt[] = [];
          // The difficulty filter may skip prompts; give up after one pass over the data.
          for (let tries = 0; batch.length < want && tries < prompts.length; tries++) {
            const p = selector.pick(picked);
            if (config.difficultyFilter.enabled && !difficulty.admits(p.id)) {
              filtered++;
              continue;
            }
            batch.push(p);
            picked.add(p.id);
          }
          if (batch.length === 0) break;
          const outs = await generate(generator, batch.map((p) => promptIds.get(p.id)!), {
            maxNewTokens: config.rollout.maxNewTokens,
            n: config.rollout.groupSize,
            sampling: { temperature: config.rollout.temperature, topP: config.rollout.topP < 1 ? config.rollout.topP : undefined, seed: rng.nextUint32() },
            stopStrings: config.rollout.stopStrings.length ? config.rollout.stopStrings : undefined,
            decode,
          });
          generated += outs.reduce((s, o) => s + o.tokens.length, 0);
          const tr = performance.now();
          const scored = await scoreGroups(batch, outs, config, deps, promptIds, replay);
          rewardSeconds += (performance.now() - tr) / 1000;
          sampledGroups += scored.length;
          for (const g of scored) {
            const passRate = mean(g.accuracy.map((a) => a ?? 0));
            if (config.difficultyFilter.enabled) difficulty.record(g.prompt.id, passRate);
            selector.observe(g.prompt.id, passRate, g.responses.map((r) => r.tokens));
            if (config.replay.enabled) {
              g.responses.forEach((r, i) => {
                if (g.accuracy[i] === 1 && !r.replayed) replay.add({ promptId: g.prompt.id, tokens: r.tokens, text: r.text, finishReason: r.finishReason });
              });
            }
            replayed += g.responses.filter((r) => r.replayed).length;
            const flat = config.dynamicSampling.enabled && teachesNothing(g, config.dynamicSampling.by);
            if (flat) dropped++;
            else if (groups.length < config.rollout.promptsPerStep) groups.push(g);
          }
        }
      } finally {
        await generator.release();
      }
      const rolloutSeconds = (performance.now() - t0) / 1000 - rewardSeconds;
      if (groups.length === 0) {
        if (sampledGroups === 0) throw new Error(`step ${step}: no prompt could be sampled (${filtered} skipped by the difficulty filter); widen difficultyFilter.low/high`);
        // Every sampled group taught nothing (dynamic sampling dropped them all): keep the weights, record the
        // skipped update and go on — one barren step should not end a long run. The log says what to change.
        log(`step ${step}: no group left to train on (${dropped} of ${sampledGroups} sampled groups had all-equal ${config.dynamicSampling.by} scores after ${config.dynamicSampling.maxRounds} extra rounds); update skipped — raise dynamicSampling.maxRounds or rollout.groupSize if this repeats`);
        metrics.append({ step, split: 'train', skipped_update: 1, groups: 0, dropped_share: 1, filtered_prompts: filtered, rollout_s: rolloutSeconds, reward_s: rewardSeconds });
        await endStep(step, { reward: NaN, accuracy: NaN });
        continue;
      }
      checkSignal();

      // ---- update
      log(`step ${step}: update`);
      const t1 = performance.now();
      const G = config.rollout.groupSize;
      const shaped = groups.flatMap((g) => g.shaped);
      const advantages = groupAdvantages(shaped, G, { std: config.objective.advantage.std, eps: config.objective.advantage.eps });
      selector.learn(groups.map((g, gi) => ({ promptId: g.prompt.id, advantages: advantages.subarray(gi * G, (gi + 1) * G) })));
      const rows = groups.flatMap((g) =>
        g.responses.map((r) => ({ prompt: g.promptIds, response: r.tokens, counts: !(config.objective.overlong.mode === 'mask' && r.finishReason === 'length') })),
      );
      const miniBatch = config.objective.miniBatch ?? rows.length;
      // Mini-batches of similar lengths (rows sorted by length, advantages moving with them): little padding,
      // and packBatch's length buckets then repeat, so the update and scorer sessions are reused.
      const order = rows.map((_, i) => i);
      if (miniBatch < rows.length) order.sort((a, b) => rows[a].prompt.length + rows[a].response.length - (rows[b].prompt.length + rows[b].response.length) || a - b);
      const chunks: { rows: typeof rows; adv: Float32Array }[] = [];
      for (let s = 0; s < rows.length; s += miniBatch) {
        const picked = order.slice(s, s + miniBatch);
        chunks.push({ rows: picked.map((i) => rows[i]), adv: Float32Array.from(picked, (i) => advantages[i]) });
      }
      const packed = chunks.map((c) => packBatch(c.rows, padId));
      // Old log-probs from the rollout policy (before any update of this step), and the reference: one
      // mini-batch at a time (all at once held every batch's activations and a copy of the state per call).
      const old: Float32Array[] = [];
      const ref: Float32Array[] | null = policy.usesReference ? [] : null;
      for (const b of packed) {
        old.push(await policy.logProbs(b, 'current'));
        if (ref) ref.push(await policy.logProbs(b, 'reference'));
      }
      const lr = learningRateAt(step, config.steps, { learningRate: config.optimization.learningRate, ...config.optimization.schedule });
      const stepMetrics: Record<string, number[]> = {};
      let updateTokens = 0;
      for (let epoch = 0; epoch < config.objective.updateEpochs; epoch++) {
        for (const [i, b] of packed.entries()) {
          checkSignal();
          let result;
          for (;;) {
            try {
              result = await policy.update(b, { oldLogProbs: old[i], refLogProbs: ref?.[i], advantages: chunks[i].adv }, lr);
              break;
            } catch (error) {
              if (classifyDeviceError(error) !== 'oom') throw error;
              // Out of memory (#21): this mini-batch changed nothing. Halve the rows per update graph, double
              // accumulation (the same update), rebuild the policy's graphs on the current state and retry.
              // No checkpoint here: GRPO's data cursor is per step and the step is half done; the state
              // carries over in memory and the next saveEvery checkpoint includes it.
              const decision = afterOutOfMemory(shape, ++outOfMemory, policy.runner.provider.provider);
              const cause = String((error as Error).message).split('\n')[0];
              if (decision.action === 'stop') throw new Error(`${decision.message.replace('lower batchSize', 'lower objective.miniBatch or rollout.promptsPerStep')} (${cause})`);
              const state = await policy.readState();
              await policy.release();
              shape = decision.to;
              policy = await Policy.create(hf.config, hf.weights, config.method, policyOptions(shape.accumulation));
              policy.loadState(state);
              await run.update({ recoveries: [...(run.info().recoveries ?? []), decision.note] });
              metrics.append({ step: step - 1, split: 'oom', micro_batch: shape.microBatch, grad_accumulation: shape.accumulation, note: decision.note });
              log(`step ${step}: ${decision.note}`);
            }
          }
          if (result.skipped) {
            // fp16 loss scaling: this mini-batch's gradients overflowed; nothing changed, the scale halved.
            log(`step ${step}: mini-batch ${i + 1} skipped (fp16 gradients overflowed at loss scale ${result.lossScale})`);
            continue;
          }
          assertFinite({ loss: result.loss, grad_norm: result.metrics.grad_norm }, { step, batch: `rollout batch of step ${step}, epoch ${epoch + 1}, mini-batch ${i + 1}` });
          for (const [k, v] of Object.entries({ loss: result.loss, ...result.metrics })) (stepMetrics[k] ??= []).push(v);
          updateTokens += b.batch * b.seq;
        }
      }
      const updateSeconds = (performance.now() - t1) / 1000;

      // ---- log
      const responses = groups.flatMap((g) => g.responses);
      const thinkLengths = responses.map((r) => {
        const s = splitThinking(r.text);
        return s.thinking === null ? 0 : [...s.thinking].length;
      });
      const componentMeans: Record<string, number> = {};
      for (const c of ['accuracy', 'format', 'language', 'rewardModel', 'judge'] as const) {
        const scores = groups.flatMap((g) => g.rewards.map((r) => r.components[c]?.score)).filter((s): s is number => typeof s === 'number');
        if (scores.length) componentMeans[`rewards/${c}/mean`] = mean(scores);
      }
      const acc = groups.flatMap((g) => g.accuracy).filter((a): a is number => a !== null);
      lastTrain = {
        loss: mean(stepMetrics.loss),
        lr,
        grad_norm: mean(stepMetrics.grad_norm),
        reward: mean(groups.flatMap((g) => g.rewards.map((r) => r.total))),
        'reward/std': Math.sqrt(mean(shaped.map((r) => (r - mean(shaped)) ** 2))),
        ...componentMeans,
        accuracy: acc.length ? mean(acc) : NaN,
        lang: mean(groups.flatMap((g) => g.lang)),
        zero_variance_share: sampledGroups ? groups.filter((g) => zeroVarianceGroups(g.shaped, G)[0]).length / groups.length : 0,
        dropped_share: sampledGroups ? dropped / sampledGroups : 0,
        filtered_prompts: filtered,
        replayed,
        groups: groups.length,
        response_length: mean(responses.map((r) => r.tokens.length)),
        thinking_length: mean(thinkLengths),
        truncated_share: responses.filter((r) => r.finishReason === 'length').length / responses.length,
        kl: mean(stepMetrics.kl),
        clip_fraction: mean(stepMetrics.clip_fraction),
        ratio_mean: mean(stepMetrics.ratio_mean),
        entropy: mean(stepMetrics.entropy),
        rollout_s: rolloutSeconds,
        reward_s: rewardSeconds,
        update_s: updateSeconds,
        rollout_tokens_per_s: generated / Math.max(rolloutSeconds, 1e-9),
        update_tokens_per_s: updateTokens / Math.max(updateSeconds, 1e-9),
        tokens_per_s: (generated + updateTokens) / Math.max(rolloutSeconds + updateSeconds, 1e-9),
        ...curriculumMetrics(selector),
      };
      metrics.append({ step, split: 'train', ...Object.fromEntries(Object.entries(lastTrain).filter(([, v]) => Number.isFinite(v))) });
      writeSamples(join(run.samplesDir, `step-${step}.jsonl`), groups, advantages, (id) => selector.score(id));
      // TensorBoard's Text tab: the first response to the first two prompts of the step (markdown).
      metrics.appendText(step, 'rollouts', groups.slice(0, 2).map((g) => `**${g.prompt.prompt}** (reward ${g.rewards[0]?.total.toFixed(3)})\n\n${g.responses[0]?.text ?? ''}`).join('\n\n---\n\n'));
      log(`step ${step}/${config.steps}: reward ${lastTrain.reward.toFixed(3)}, accuracy ${(lastTrain.accuracy ?? NaN).toFixed(3)}, lang ${lastTrain.lang.toFixed(3)}, kl ${lastTrain.kl.toExponential(2)}, dropped ${dropped}/${sampledGroups}`);

      await endStep(step, { reward: lastTrain.reward, accuracy: lastTrain.accuracy });
    }

    await evaluate(config.steps);
    const output = await writeOutput(run.outputDir, policy, hf, modelDir, config);
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
    await policy.release();
    await rewardModel?.release();
  }
}

/** `curriculum/<category>/value` (the bandit's Q) for curriculum runs: which categories the run favours. */
function curriculumMetrics(selector: PromptSelector): Record<string, number> {
  const state = selector.curriculumValues();
  if (!state) return {};
  return Object.fromEntries(Object.entries(state.values).map(([arm, q]) => [`curriculum/${arm}/value`, q]));
}

/** Rewards for each group's responses (one computeRewards call), plus the replay substitution. */
export async function scoreGroups(
  prompts: readonly GrpoPrompt[],
  outs: readonly GeneratedSequence[],
  config: GrpoConfig,
  deps: RewardDeps,
  promptIds: ReadonlyMap<string, number[]>,
  replay: ReplayBuffer | null,
): Promise<ScoredGroup[]> {
  const G = config.rollout.groupSize;
  const groups = prompts.map((p, i) => ({
    prompt: p,
    promptIds: promptIds.get(p.id)!,
    responses: outs.slice(i * G, (i + 1) * G).map((o) => ({ tokens: o.tokens, text: o.text ?? '', finishReason: o.finishReason as string, replayed: false })),
  }));
  const score = async (gs: typeof groups) => {
    const samples = gs.flatMap((g) => g.responses.map((r) => ({ prompt: g.prompt.prompt, response: r.text, gold: g.prompt.answer, target: g.prompt.lang ?? undefined })));
    return computeRewards(samples, config.rewards, deps);
  };
  let rewards = await score(groups);
  // Replay: an all-wrong group gets a stored success of the same prompt in place of its last sample.
  if (replay && config.replay.enabled) {
    let changed = false;
    groups.forEach((g, gi) => {
      const accs = rewards.slice(gi * G, (gi + 1) * G).map((r) => r.components.accuracy?.score);
      if (!accs.every((a) => a === 0)) return;
      const entry = replay.latest(g.prompt.id);
      if (!entry) return;
      g.responses[G - 1] = { tokens: [...entry.tokens], text: entry.text, finishReason: entry.finishReason, replayed: true };
      changed = true;
    });
    if (changed) rewards = await score(groups);
  }
  const overlong = config.objective.overlong;
  return groups.map((g, gi) => {
    const rs = rewards.slice(gi * G, (gi + 1) * G);
    const shaped = rs.map((r, i) =>
      overlong.mode === 'soft' ? r.total + overlongPenalty(g.responses[i].tokens.length, { length: overlong.length ?? config.rollout.maxNewTokens, buffer: overlong.buffer, penalty: overlong.penalty }) : r.total,
    );
    return {
      ...g,
      rewards: rs,
      shaped,
      accuracy: rs.map((r) => r.components.accuracy?.score ?? null),
      lang: g.responses.map((r) => thinkingLanguage(r.text, g.prompt.prompt, g.prompt.lang ?? undefined).score ?? 0),
    };
  });
}

/** samples/step-N.jsonl: one line per group, for the rollout viewer. */
function writeSamples(path: string, groups: readonly ScoredGroup[], advantages: Float64Array, vps: (promptId: string) => number | null): void {
  const G = groups[0]?.responses.length ?? 0;
  const lines = groups.map((g, gi) =>
    JSON.stringify({
      id: g.prompt.id,
      prompt: g.prompt.prompt,
      answer: g.prompt.answer,
      lang: g.prompt.lang,
      // Variance-aware sampling: the prompt's Variance Promotion Score after this visit.
      vps: vps(g.prompt.id) ?? undefined,
      category: g.prompt.category,
      responses: g.responses.map((r, i) => {
        const rw = g.rewards[i];
        const language = rw.components.language?.detail as { spans?: unknown } | undefined;
        return {
          text: r.text,
          tokens: r.tokens.length,
          finishReason: r.finishReason,
          replayed: r.replayed || undefined,
          reward: rw.total,
          shapedReward: g.shaped[i],
          components: Object.fromEntries(Object.entries(rw.components).map(([k, c]) => [k, c!.score])),
          reasons: rw.reasons,
          advantage: advantages[gi * G + i],
          lang: g.lang[i],
          stripped: language?.spans ?? [],
        };
      }),
    }),
  );
  writeFileSync(path, lines.join('\n') + '\n');
}

/** output/: the trained model as a full HF folder (LoRA merged), plus output/adapter/ for LoRA. */
async function writeOutput(dir: string, policy: Policy, hf: ReturnType<typeof loadModel>, modelDir: string, config: GrpoConfig): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { weights, adapter } = await policy.generatorWeights();
  if (adapter) {
    writeLoraAdapter(join(dir, 'adapter'), adapter);
    saveModel(dir, { ...hf, weights: mergeLoraAdapter(hf.weights, adapter) }, { tokenizerDir: modelDir });
  } else saveModel(dir, { ...hf, weights: new Map(weights) }, { tokenizerDir: modelDir });
  await writeFileAtomic(join(dir, 'grpo_config.json'), JSON.stringify(config, null, 2) + '\n');
  return dir;
}
