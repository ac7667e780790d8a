// Reward-model training end to end: preference data → tokenized pairs → Bradley-Terry train steps on
// a Qwen2-family decoder with a scalar head → a Hugging Face `*ForSequenceClassification` folder.
//
// The run folder (train/run) holds config.yaml, run.json (status running → finished | stopped | failed
// | diverged), metrics.jsonl (split 'train' per step: loss, accuracy, margin, lr, grad_norm, pairs_per_s,
// tokens_per_s; split 'eval' for held-out evaluations), checkpoints/ and samples/eval-scores.json (the
// last held-out scores, for the chosen-vs-rejected histogram). Batches are a pure function of the step
// (epoch e visits the training pairs in a seeded shuffle of e), so a resumed run needs only the step
// and the LoRA dropout generator from its checkpoint to continue exactly where it stopped.
//
// Steps go to the engine in runs (#20): by default the loop step takes stepsPerRun optimizer steps in one
// session.run, so the trainable state crosses host↔device once per run. A run ends at every evaluation and
// checkpoint; a stop, an out-of-memory retry and a lost device act where a run ends (the state is that of
// the last finished run), so the step a stop lands on can be up to a run later than the one it was asked at.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { latestCheckpointStep, loadLatestCheckpoint, saveCheckpoint, NonFiniteLossError, type RngState, type TrainState } from '../../engine/index.ts';
import { afterOutOfMemory, classifyDeviceError, deviceLostMessage, type BatchShape } from '../../devices/oom.ts';
import { Rng } from '../../engine/rng.ts';
import { defaultPrecision, type TuningMethod } from '../../models/fine-tune.ts';
import { parameterCounts } from '../../models/parameter-counts.ts';
import { loraConfig } from '../../models/peft.ts';
import { RewardModel } from '../../models/reward-model.ts';
import { Tokenizer } from '../../models/tokenizer.ts';
import { loadModel, saveModel } from '../../models/weights.ts';
import { openWorkspace, writeFileAtomic, type Workspace } from '../../store/index.ts';
import { assertFinite, freeRunName, learningRateAt, RunFolder, testHoldStep, TrainingDivergedError, type RunInfo } from '../run/index.ts';
import { scheduleFor } from '../shared/config-base.ts';
import { describeStepRunner, runEnd, stepsPerRun } from '../shared/step-runs.ts';
import { parseRmConfig, rmBase, trajectoryConfig, type RmConfig, type RmConfigInput, type RmMethod } from './config.ts';
import { describeReport, splitHeldOut, tokenizePreferences, type PreferenceDataReport, type TokenizedPair } from './data.ts';
import { RewardModelStep, rewardModelFromBase, type PairBatch } from './model.ts';
import { isFile, readPreferenceSource } from './rows.ts';
import { pairStats, scorePairs, type PairScores, type PairStats } from './scoring.ts';

export interface RmProgress {
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  margin: number;
  learningRate: number;
  pairsPerSecond: number;
}

export interface RunRewardModelOptions {
  /** Workspace folder: the run goes to <workspace>/runs/<name>/. Overrides config.workspace. */
  workspace?: string;
  /** Abort → the current step finishes, a checkpoint is saved, the run ends 'stopped'. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (progress: RmProgress) => void;
  /** Continue the run named config.name from its latest checkpoint (the trajectory config must match). */
  resume?: boolean;
}

export interface RmSummary {
  status: 'finished' | 'stopped';
  steps: number;
  totalSteps: number;
  /** Last training step's loss and pair accuracy. */
  loss: number;
  accuracy: number;
  /** Last held-out evaluation (null without held-out pairs). */
  eval: PairStats | null;
  pairsPerSecond: number;
  data: PreferenceDataReport & { train: number; heldOut: number };
}

export interface RmResult {
  run: string;
  runDir: string;
  /** The saved reward model folder ('' when stopped). */
  output: string;
  summary: RmSummary;
}

/** `saenggak train rm`, the `rm` job and the pipeline's rewardModel stage all call this. */
export async function runRewardModelTraining(input: RmConfigInput | RmConfig, options: RunRewardModelOptions = {}): Promise<RmResult> {
  const config = parseRmConfig(input);
  const log = options.log ?? (() => {});
  const workspaceRoot = options.workspace ?? config.workspace;
  if (!workspaceRoot && !config.out) throw new Error('reward-model training: give a workspace (runs/<name>/ holds the run) or an output folder');

  // ---- Run folder ----
  const name = config.name ?? (workspaceRoot ? freeRunName(workspaceRoot, 'rm') : 'rm');
  const run = workspaceRoot ? RunFolder.inWorkspace(workspaceRoot, name) : new RunFolder(resolve(`${config.out}.run`));
  const existed = run.exists();
  if (existed && !options.resume) throw new Error(`run "${name}" already exists in ${run.dir}; pick another name or resume it`);
  if (existed && run.info().status === 'finished') throw new Error(`run "${name}" has already finished (its model is in ${run.info().output}); start a new run to train again`);
  const resolved: RmConfig = { ...config, name };
  await run.create({ name, kind: 'rm', config: resolved, baseModel: config.model, data: config.data });
  const outputDir = resolve(config.out ?? run.outputDir);

  let workspace: Workspace | null = null;
  let step: RewardModelStep | null = null;
  let metrics: ReturnType<RunFolder['openMetrics']> | null = null;
  let started = false;
  try {
    // ---- Model and data ----
    const tokenizer = Tokenizer.load(config.model);
    const base = loadModel(config.model);
    const rm = rewardModelFromBase(base.config, base.weights, { padTokenId: tokenizer.padTokenId ?? tokenizer.eosTokenId, seed: config.seed });
    if (!isFile(config.data) && workspaceRoot) workspace = await openWorkspace(workspaceRoot);
    const source = await readPreferenceSource(config.data, workspace);
    const tokenized = tokenizePreferences(source.rows, tokenizer, { maxLength: Math.min(config.maxLength, rm.config.maxPositionEmbeddings), truncation: config.truncation });
    tokenized.report.bad.invalid_type += source.unreadable;
    log(`data ${source.label}: ${describeReport(tokenized.report)}`);
    const pairs = config.useMargin ? tokenized.pairs : tokenized.pairs.map((p) => ({ ...p, margin: 0 }));
    const { train, heldOut } = splitHeldOut(pairs, config.heldOutShare, config.seed);
    if (train.length === 0) throw new Error(`reward-model training: no usable training pairs in ${source.label} (${describeReport(tokenized.report)})`);
    const P = Math.min(config.pairsPerBatch, train.length);
    if (P < config.pairsPerBatch) log(`only ${train.length} training pairs: ${P} pairs per batch instead of ${config.pairsPerBatch}`);
    const stepsPerEpoch = Math.floor(train.length / P);
    const totalSteps = config.maxSteps ?? Math.max(1, Math.ceil(config.epochs * stepsPerEpoch));
    const schedule = scheduleFor(rmBase(config), totalSteps);
    log(`${train.length} training pairs, ${heldOut.length} held out; ${P} pairs per step, ${totalSteps} steps`);

    // ---- Step graph (fresh or resumed) ----
    const trajectory = trajectoryConfig(resolved);
    const checkpoint = options.resume ? loadLatestCheckpoint(run.checkpointsDir, { expectConfig: trajectory }) : null;
    if (checkpoint) log(`resuming from step ${checkpoint.step}`);
    // Micro-batch shape: P pairs in one graph until an out-of-memory halves it (same pairs per step, #21).
    let shape: BatchShape = { microBatch: P, accumulation: 1 };
    let outOfMemory = 0;
    const createStep = async (state: { params: TrainState['params']; optimizerState: TrainState['optimizerState']; step: number } | undefined, rng: RngState | undefined) => RewardModelStep.create(rm.config, rm.weights, tuningMethod(config.method, config.seed), {
      pairsPerBatch: shape.microBatch,
      gradAccumulation: shape.accumulation,
      centeringCoefficient: config.centeringCoefficient,
      dtype: config.dtype,
      adamw: { weightDecay: config.weightDecay },
      maxGradNorm: config.maxGradNorm,
      provider: config.provider,
      seed: config.seed,
      state,
      dropoutRng: rng,
      gradientCheckpointing: config.gradientCheckpointing,
      precision: config.precision ?? (config.dtype === 'float32' ? await defaultPrecision(config.provider) : 'fp32'),
      runner: config.stepRunner,
    });
    step = await createStep(checkpoint ? { params: checkpoint.params, optimizerState: checkpoint.optimizerState, step: checkpoint.step } : undefined, checkpoint?.rng ?? undefined);
    metrics = run.openMetrics({ resumeAfterStep: checkpoint?.step ?? 0 });
    await run.update({ status: 'running', step: checkpoint?.step ?? 0, totalSteps });
    started = true;

    const batchAt = (k: number): PairBatch => {
      const epoch = Math.floor(k / stepsPerEpoch);
      const order = new Rng(config.seed * 1009 + epoch).shuffle([...train.keys()]);
      const chunk = order.slice((k % stepsPerEpoch) * P, (k % stepsPerEpoch) * P + P).map((i) => train[i]);
      return { sequences: [...chunk.map((p) => p.chosen), ...chunk.map((p) => p.rejected)], margins: chunk.map((p) => p.margin) };
    };
    const saveState = async (at: number, rng: RngState = step!.dropoutRng.getState()) => {
      const state = await step!.runner.readState();
      saveCheckpoint(run.checkpointsDir, { step: at, params: state.params, optimizerState: state.optimizerState, config: trajectory, dataCursor: { step: at }, rng }, { keep: config.keepCheckpoints });
    };
    let lastEval: PairStats | null = null;
    const evaluate = async (at: number) => {
      if (heldOut.length === 0) return;
      const scores = await scoreWithWeights(step!, heldOut);
      lastEval = pairStats(scores);
      // Scores first: a reader that sees the eval point finds the matching scores.
      mkdirSync(run.samplesDir, { recursive: true });
      await writeFileAtomic(join(run.samplesDir, 'eval-scores.json'), JSON.stringify({ step: at, chosen: scores.chosen, rejected: scores.rejected }) + '\n');
      metrics!.append({ step: at, split: 'eval', loss: lastEval.loss, accuracy: lastEval.accuracy, margin: lastEval.meanMargin, pairs: lastEval.n });
      log(`step ${at}: held-out accuracy ${(lastEval.accuracy * 100).toFixed(1)}%, margin ${lastEval.meanMargin.toFixed(3)}`);
    };

    // ---- Loop ----
    // Steps per run: 'auto' sizes a run by compute, ~6 × parameters × tokens of a step (2P sequences of
    // up to maxLength); the per-step runner (stepRunner 'per-step', fp16) takes one step per run.
    const parameters = parameterCounts(rm.config).total;
    const perRun = step.runner.kind === 'per-step' ? 1 : stepsPerRun(config.stepsPerRun, 6 * parameters * 2 * P * config.maxLength);
    log(describeStepRunner(step.runner, perRun));
    const holdStep = testHoldStep();
    const endsRun = (n: number) => (config.evalEvery > 0 && n % config.evalEvery === 0) || (config.saveEvery > 0 && n % config.saveEvery === 0) || n === holdStep;
    const where = (k: number) => ({ step: k + 1, batch: `pairs ${(k % stepsPerEpoch) * P}–${(k % stepsPerEpoch) * P + P - 1} of epoch ${Math.floor(k / stepsPerEpoch) + 1}` });
    let last = { loss: NaN, accuracy: NaN, pairsPerSecond: 0 };
    let done = checkpoint?.step ?? 0;
    let stopped = false;
    const loopStart = performance.now();
    let pairsSeen = 0;
    while (done < totalSteps) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      // One run: steps first..end (1-based); step n trains on batchAt(n − 1).
      const first = done + 1;
      const end = runEnd(first, totalSteps, perRun, endsRun);
      const batches: PairBatch[] = [];
      const lrs: number[] = [];
      for (let n = first; n <= end; n++) {
        batches.push(batchAt(n - 1));
        lrs.push(learningRateAt(n, totalSteps, schedule));
      }
      const t0 = performance.now();
      // Before the run draws its dropout masks: a checkpoint of `done` after a failed run resumes from here.
      const rngBefore = step.dropoutRng.getState();
      let result;
      try {
        result = await step.steps(batches, lrs);
      } catch (error) {
        if (error instanceof NonFiniteLossError) assertFinite({ loss: error.loss }, where(error.step - 1));
        if (classifyDeviceError(error) === 'device-lost') {
          // The device is gone (#21): no retry there. Save the last finished run's state while it can still
          // be read (on a lost GPU it usually cannot: the newest saved checkpoint is named instead) and stop
          // with how to go on; the job runner pauses the device's queue on this error.
          let saved: number | null = null;
          if (done > 0) {
            try {
              await saveState(done, rngBefore);
              saved = done;
            } catch (readError) {
              log(`could not checkpoint step ${done} after the device was lost (${String((readError as Error).message).split('\n')[0]})`);
            }
          }
          const device = process.env.SAENGGAK_DEVICE ?? step.runner.provider.provider;
          const message = deviceLostMessage({ device, step: done + 1, checkpointStep: saved ?? latestCheckpointStep(run.checkpointsDir), run: name, command: 'train rm', cause: error });
          log(message);
          throw new Error(message);
        }
        if (classifyDeviceError(error) !== 'oom') throw error;
        // Out of memory (#21): the run applied nothing. Checkpoint, halve the pairs per micro-batch, double
        // accumulation, rebuild the step and take this run again; a second time stops with what to change.
        const decision = afterOutOfMemory(shape, ++outOfMemory, step.runner.provider.provider);
        const cause = String((error as Error).message).split('\n')[0];
        if (decision.action === 'stop') throw new Error(`${decision.message.replace('micro-batch', 'pairs per micro-batch')} (${cause})`);
        if (done > 0) await saveState(done, rngBefore);
        const state = await step.runner.readState();
        await step.release();
        step = null;
        shape = decision.to;
        step = await createStep(state, rngBefore);
        await run.update({ recoveries: [...(run.info().recoveries ?? []), decision.note] });
        metrics.append({ step: done, split: 'oom', micro_batch: shape.microBatch, grad_accumulation: shape.accumulation, note: decision.note });
        log(`step ${done + 1}: ${decision.note}`);
        continue;
      }
      // Each step's time: the run's, shared by the steps it took (the one it stopped at included).
      const seconds = (performance.now() - t0) / 1000 / Math.max(1, result.steps.length + (result.nonFinite ? 1 : 0));
      for (const o of result.overflows) log(`step ${o.step}: fp16 gradients overflowed at loss scale ${o.lossScale}; skipped, retried at ${o.lossScale / 2}`);
      for (const [i, r] of result.steps.entries()) {
        const k = first - 1 + i;
        assertFinite({ loss: r.loss, grad_norm: r.gradNorm }, where(k));
        done = k + 1;
        pairsSeen += P;
        const tokens = batches[i].sequences.reduce((n, s) => n + s.length, 0);
        last = { loss: r.loss, accuracy: r.accuracy, pairsPerSecond: P / seconds };
        metrics.append({
          step: done, split: 'train', loss: r.loss, accuracy: r.accuracy, margin: r.meanMargin, chosen: r.meanChosen, rejected: r.meanRejected, lr: lrs[i], grad_norm: r.gradNorm,
          pairs_per_s: P / seconds, tokens_per_s: tokens / seconds, epoch: k / stepsPerEpoch,
          traffic_h2d: Math.round(r.traffic.hostToDevice), traffic_d2h: Math.round(r.traffic.deviceToHost), run_steps: batches.length,
        });
        options.onProgress?.({ step: done, totalSteps, loss: r.loss, accuracy: r.accuracy, margin: r.meanMargin, learningRate: lrs[i], pairsPerSecond: P / seconds });
        if (done % 10 === 0 || done === totalSteps) await run.update({ step: done });
      }
      // The loop stopped at this step and did not apply it; the steps before it are logged above.
      if (result.nonFinite) assertFinite({ loss: result.nonFinite.loss, grad_norm: result.nonFinite.gradNorm }, where(first - 1 + result.steps.length));
      if (config.evalEvery > 0 && done % config.evalEvery === 0 && done < totalSteps) await evaluate(done);
      if (config.saveEvery > 0 && done % config.saveEvery === 0 && done < totalSteps) await saveState(done);
    }
    const pairsPerSecond = pairsSeen > 0 ? pairsSeen / ((performance.now() - loopStart) / 1000) : 0;
    const data = { ...tokenized.report, train: train.length, heldOut: heldOut.length };

    if (stopped) {
      await saveState(done);
      const summary: RmSummary = { status: 'stopped', steps: done, totalSteps, loss: last.loss, accuracy: last.accuracy, eval: lastEval, pairsPerSecond, data };
      await run.update({ status: 'stopped', step: done, summary: numbers(summary) });
      log(`stopped at step ${done}; resume to continue`);
      return { run: name, runDir: run.dir, output: '', summary };
    }

    await evaluate(done);
    const weights = await step.currentWeights();
    saveModel(outputDir, { config: rm.config, weights, generationConfig: null }, { tokenizerDir: config.model });
    const summary: RmSummary = { status: 'finished', steps: done, totalSteps, loss: last.loss, accuracy: last.accuracy, eval: lastEval, pairsPerSecond, data };
    writeFileSync(join(outputDir, 'saenggak_reward_model.json'), JSON.stringify({ run: name, config: resolved, summary }, null, 2) + '\n');
    await run.update({ status: 'finished', step: done, output: outputDir, summary: numbers(summary) });
    log(`saved ${rm.config.architecture} to ${outputDir}`);
    return { run: name, runDir: run.dir, output: outputDir, summary };
  } catch (error) {
    const diverged = error instanceof TrainingDivergedError || error instanceof NonFiniteLossError;
    // A resume refused before it started (changed config, missing checkpoint) leaves the run as it was.
    if (started || !existed) await run.update({ status: diverged ? 'diverged' : 'failed', error: (error as Error).message }).catch(() => {});
    throw error;
  } finally {
    metrics?.close();
    await step?.release();
    await workspace?.close();
  }
}

/** Held-out scores with the weights as they are now, through the inference path the saved model uses. */
async function scoreWithWeights(step: RewardModelStep, pairs: readonly TokenizedPair[]): Promise<PairScores> {
  const model = await RewardModel.create(step.config, await step.currentWeights(), { provider: step.runner.provider.provider });
  try {
    return await scorePairs(model, pairs);
  } finally {
    await model.release();
  }
}

export function tuningMethod(method: RmMethod, seed: number): TuningMethod {
  if (method.kind === 'full') return { kind: 'full' };
  if (method.kind === 'lora') return { kind: 'lora', seed, lora: loraConfig({ r: method.r, loraAlpha: method.alpha, loraDropout: method.dropout, targetModules: method.targetModules }) };
  const parameters = (method.parameters ?? []).map((p) => (p.length > 2 && p.startsWith('/') && p.endsWith('/') ? new RegExp(p.slice(1, -1)) : p));
  return { kind: 'selective', selection: { layers: method.layers, parameters } };
}

/** The summary's numbers for run.json (what tables show). */
function numbers(s: RmSummary): RunInfo['summary'] {
  const out: Record<string, number> = { loss: s.loss, accuracy: s.accuracy, pairs_per_s: s.pairsPerSecond, train_pairs: s.data.train, held_out_pairs: s.data.heldOut };
  if (s.eval) Object.assign(out, { eval_accuracy: s.eval.accuracy, eval_margin: s.eval.meanMargin, eval_loss: s.eval.loss });
  for (const [k, v] of Object.entries(out)) if (!Number.isFinite(v)) delete out[k];
  return out;
}
