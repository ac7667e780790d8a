// The SFT trainer: prepares everything that can fail on bad input (model, tokenizer, data, run folder)
// before the first step, then runs optimizer steps with AdamW, the learning-rate schedule, clipping and
// gradient accumulation; evaluates held-out loss, checkpoints, resumes exactly, stops on NaN/Inf or
// when cancelled, and writes the final HF checkpoint or PEFT adapter.
//
// Loss normalisation: the loss of a step is the mean cross-entropy per target (assistant) token over
// ALL its micro-batches (Σ token losses / Σ target tokens), not the mean of per-micro-batch means, so
// a micro-batch with few target tokens does not weigh as much as a full one. Each micro-batch's graph
// loss is scaled by k·nᵢ/N (FineTuneOptions.lossScale), which makes the runner's 1/k-averaged gradient
// exactly that per-token mean. Eval loss is normalised the same way.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { latestCheckpointStep, loadLatestCheckpoint, NonFiniteLossError, saveCheckpoint, type CheckpointState, type RngState } from '../../engine/index.ts';
import { afterOutOfMemory, classifyDeviceError, deviceLostMessage } from '../../devices/oom.ts';
import { defaultPrecision, FineTuner, type TuningMethod } from '../../models/fine-tune.ts';
import { parameterCounts } from '../../models/parameter-counts.ts';
import { loraConfig, writeLoraAdapter } from '../../models/peft.ts';
import { copyTokenizerFiles, Tokenizer } from '../../models/tokenizer.ts';
import { loadModel, saveModel, type HfModel } from '../../models/weights.ts';
import { assertFinite, freeRunName, holdForTest, learningRateAt, RunFolder, testHoldStep, TrainingDivergedError, type MetricsLog } from '../run/index.ts';
import { describeStepRunner, runEnd, stepsPerRun } from '../shared/step-runs.ts';
import { sameStepsOtherShape, sftBatchShape, withBatchShape } from './batch-shape.ts';
import { scheduleFor } from '../shared/config-base.ts';
import { sftBase, trajectoryConfig, type SftConfig } from './config.ts';
import { loadRows, prepareExamples, splitRows, SftDataError, type SftExample } from './data.ts';
import { packExamples, packingEfficiency, paddedLength, rowsBatch, targetTokenCount, type BatchPlanOptions, type PackedRow } from './packing.ts';
import type { RunSftOptions, SftResult, SftSummary } from './types.ts';
import { StepPlan } from './steps.ts';

interface Prepared {
  config: SftConfig;
  model: HfModel;
  tokenizer: Tokenizer;
  train: SftExample[];
  eval: SftExample[];
  dropped: number;
  cut: number;
  plan: StepPlan;
  batchOptions: BatchPlanOptions;
  run: RunFolder;
  resume: boolean;
}

export class SftTrainer {
  private readonly log: (line: string) => void;
  private evalLoss: number | null = null;

  private constructor(private readonly p: Prepared, private readonly options: RunSftOptions) {
    this.log = options.log ?? (() => {});
  }

  /** Validates the config against the model and the data; creates (or reopens, to resume) the run folder. */
  static async prepare(input: SftConfig, options: RunSftOptions): Promise<SftTrainer> {
    const workspace = options.workspace ?? input.workspace;
    if (!workspace) throw new Error('SFT: no workspace; pass --workspace (or set workspace in the config) so the run has a runs/ folder');
    const log = options.log ?? (() => {});
    const model = loadModel(input.model);
    const tokenizer = Tokenizer.load(input.model);
    if (!tokenizer.chatTemplate) throw new SftDataError(`tokenizer in ${input.model} has no chat template; SFT renders conversations with it (add chat_template to tokenizer_config.json)`);
    if (input.maxSeqLength > model.config.maxPositionEmbeddings) {
      throw new SftDataError(`maxSeqLength ${input.maxSeqLength} exceeds the model's max_position_embeddings ${model.config.maxPositionEmbeddings}; lower maxSeqLength`);
    }
    if (model.config.task !== 'causal-lm') throw new Error(`SFT trains causal LMs; ${input.model} is a ${model.config.task} model`);

    const rows = await loadRows(input.data.source, workspace);
    if (rows.length === 0) throw new SftDataError(`data: ${input.data.source} has no rows`);
    let trainRows = rows;
    let evalRows: Record<string, unknown>[] = [];
    if (typeof input.evalSplit === 'number') ({ train: trainRows, eval: evalRows } = splitRows(rows, input.evalSplit, input.seed));
    else evalRows = await loadRows(input.evalSplit.source, workspace);
    const common = { columns: input.data.columns, maxSeqLength: input.maxSeqLength, truncation: input.truncation };
    const train = prepareExamples(trainRows, tokenizer, { ...common, what: 'training' });
    const held = prepareExamples(evalRows, tokenizer, { ...common, what: 'eval' });
    if (train.examples.length === 0) {
      throw new SftDataError(`data: all ${trainRows.length} training examples are longer than maxSeqLength ${input.maxSeqLength} and were dropped; raise maxSeqLength or set truncation to 'cut'`);
    }
    const batchOptions: BatchPlanOptions = { packing: input.packing, maxSeqLength: input.maxSeqLength, batchSize: input.batchSize, batchUnit: input.batchUnit, seed: input.seed };
    const plan = new StepPlan(train.examples, { ...batchOptions, gradAccumulation: input.gradAccumulation, epochs: input.epochs, maxSteps: input.maxSteps });

    const name = input.name ?? freeRunName(workspace, 'sft');
    const config: SftConfig = { ...input, name, workspace: resolve(workspace) };
    const run = RunFolder.inWorkspace(workspace, name);
    const resume = run.exists();
    if (resume && !options.resume) throw new Error(`run "${name}" already exists; resume it (--resume) or choose another name`);
    if (!resume && options.resume) throw new Error(`run "${name}" does not exist, so there is nothing to resume`);
    if (resume && run.info().status === 'finished') throw new Error(`run "${name}" already finished; its output is in ${run.outputDir}`);
    await run.create({ name, kind: 'sft', config, totalSteps: plan.totalSteps, baseModel: input.model, data: input.data.source });
    log(`sft: ${train.examples.length} training / ${held.examples.length} eval examples (${train.dropped + held.dropped} dropped, ${train.cut + held.cut} cut at ${input.maxSeqLength} tokens); ${plan.totalSteps} steps`);
    return new SftTrainer(
      { config, model, tokenizer, train: train.examples, eval: held.examples, dropped: train.dropped + held.dropped, cut: train.cut + held.cut, plan, batchOptions, run, resume },
      options,
    );
  }

  get runFolder(): RunFolder {
    return this.p.run;
  }

  async train(): Promise<SftResult> {
    // config and plan are read through this.p: an out-of-memory retry replaces them (same steps, smaller micro-batches).
    const { run } = this.p;
    const config = this.p.config;
    const checkpoint = this.p.resume ? this.resumeCheckpoint() : null;
    let tuner = await this.createTuner();
    let metrics: MetricsLog | null = null;
    let step = 0;
    let outOfMemory = 0;
    try {
      if (this.p.resume) {
        if (checkpoint) {
          tuner.loadState({ params: checkpoint.params, optimizerState: checkpoint.optimizerState, step: checkpoint.step });
          if (checkpoint.rng) tuner.restoreRng(checkpoint.rng);
          step = checkpoint.step;
          this.log(`sft: resuming run ${config.name} from step ${step}`);
        }
      }
      metrics = run.openMetrics({ resumeAfterStep: step });
      const plan = { totalSteps: this.p.plan.totalSteps };
      await run.update({ status: 'running', step, totalSteps: plan.totalSteps, error: undefined });
      const schedule = scheduleFor(sftBase(config), plan.totalSteps);
      const padId = this.padId();
      let lastLoss = NaN;
      let trainTokens = 0;
      let trainSeconds = 0;

      const perRun = this.stepsPerRun(tuner);
      this.log(`sft: ${describeStepRunner(tuner.runner, perRun)}`);
      const holdStep = testHoldStep();
      const endsRun = (n: number) =>
        (config.evalEvery > 0 && n % config.evalEvery === 0) || (config.saveEvery > 0 && n % config.saveEvery === 0) || n === holdStep ||
        this.p.plan.at(n + 1).microBatches.length !== this.p.plan.at(n).microBatches.length;
      while (step < plan.totalSteps) {
        if (this.options.signal?.aborted) return await this.stop(tuner, step, lastLoss, trainTokens / Math.max(trainSeconds, 1e-9));
        // One run of the loop step: steps first..last (per-step runner: one step).
        const first = step + 1;
        const last = runEnd(first, plan.totalSteps, perRun, endsRun);
        const steps = [];
        for (let n = first; n <= last; n++) steps.push(this.stepBatches(n, padId));
        const lrs = steps.map((_, i) => learningRateAt(first + i, plan.totalSteps, schedule));
        const started = performance.now();
        const rngBefore = tuner.rngState();
        let run;
        try {
          run = await tuner.steps(steps.map((s) => s.feeds), lrs);
        } catch (error) {
          if (error instanceof NonFiniteLossError) assertFinite({ loss: error.loss }, steps[0].where);
          if (classifyDeviceError(error) === 'device-lost') throw await this.stopOnDeviceLoss(tuner, { step, error });
          if (classifyDeviceError(error) === 'oom') {
            tuner = await this.recoverFromOutOfMemory(tuner, { step, epoch: steps[0].epoch, attempt: ++outOfMemory, rngBefore, metrics, error });
            continue;
          }
          throw error;
        }
        const seconds = (performance.now() - started) / 1000 / Math.max(1, run.steps.length + (run.nonFinite ? 1 : 0));
        // fp16 loss scaling: a step whose gradients overflowed changed nothing and was retried at the halved scale.
        for (const o of run.overflows) this.log(`sft: step ${o.step}: fp16 gradients overflowed at loss scale ${o.lossScale}; skipped, retried at ${o.lossScale / 2}`);
        for (const [i, result] of run.steps.entries()) {
          const { microBatches, feeds, epoch, lr, total } = { ...steps[i], lr: lrs[i] };
          const gradNorm = result.metrics.grad_norm;
          assertFinite({ loss: result.loss, grad_norm: gradNorm }, steps[i].where);
          step = first + i;
          lastLoss = result.loss;
          const tokens = microBatches.reduce((n, rows) => n + rows.reduce((m, r) => m + r.ids.length, 0), 0);
          trainTokens += tokens;
          trainSeconds += seconds;
          const slots = feeds.reduce((n, f) => n + f.batch * f.seq, 0);
          metrics.append({ step, split: 'train', loss: result.loss, lr, grad_norm: gradNorm, tokens_per_s: tokens / seconds, tokens, target_tokens: total, packing_efficiency: tokens / slots, epoch: epoch + 1, traffic_h2d: Math.round(result.traffic.hostToDevice), traffic_d2h: Math.round(result.traffic.deviceToHost), run_steps: steps.length });
          this.options.onProgress?.({ step, totalSteps: plan.totalSteps, loss: result.loss, learningRate: lr, tokensPerSecond: tokens / seconds });
          if (step % 10 === 0 || step === plan.totalSteps) this.log(`sft: step ${step}/${plan.totalSteps} loss ${result.loss.toFixed(4)} lr ${lr.toExponential(2)} grad_norm ${gradNorm.toFixed(3)}`);
        }
        if (run.nonFinite) {
          // The loop stopped at this step and did not apply it; the steps before it are logged above.
          assertFinite({ loss: run.nonFinite.loss, grad_norm: run.nonFinite.gradNorm }, steps[run.steps.length].where);
        }
        if (config.evalEvery > 0 && step % config.evalEvery === 0 && step < plan.totalSteps) await this.evaluate(tuner, metrics, step, padId);
        if (config.saveEvery > 0 && step % config.saveEvery === 0 && step < plan.totalSteps) await this.checkpoint(tuner, step, this.p.plan.at(step).epoch);
        await holdForTest(step, checkpoint !== null, this.options.signal);
      }

      await this.evaluate(tuner, metrics, step, padId);
      const output = await this.writeOutput(tuner);
      const summary = this.summary('finished', step, lastLoss, trainTokens / Math.max(trainSeconds, 1e-9));
      await run.update({ status: 'finished', step, output, summary: numericSummary(summary) });
      this.log(`sft: finished; output in ${output}`);
      return { run: config.name!, runDir: run.dir, output, summary };
    } catch (error) {
      const diverged = error instanceof TrainingDivergedError;
      await run.update({ status: diverged ? 'diverged' : 'failed', step, error: (error as Error).message }).catch(() => {});
      throw error;
    } finally {
      metrics?.close();
      await tuner.release();
    }
  }

  /** Optimizer step `n`'s micro-batches as graph feeds, with what the log and metrics say of them. */
  private stepBatches(n: number, padId: number) {
    const config = this.p.config;
    const { epoch, firstMicroBatch, microBatches } = this.p.plan.at(n);
    const targets = microBatches.map(targetTokenCount);
    const total = targets.reduce((a, b) => a + b, 0);
    const feeds = microBatches.map((rows, i) =>
      rowsBatch(rows, { length: paddedLength(rows, this.p.batchOptions), padId, segmentMask: config.packing, lossScale: total === 0 ? 0 : (microBatches.length * targets[i]) / total, dtype: config.dtype }),
    );
    const where = { step: n, batch: `epoch ${epoch + 1}, micro-batches ${firstMicroBatch + 1}–${firstMicroBatch + microBatches.length}, examples ${describeExamples(microBatches)}` };
    return { epoch, microBatches, feeds, total, where };
  }

  /** Steps per run of the loop step (1 for the per-step runner). */
  private stepsPerRun(tuner: FineTuner): number {
    if (tuner.runner.kind === 'per-step') return 1;
    const c = this.p.config;
    const parameters = parameterCounts(this.p.model.config).total;
    const tokensPerStep = (c.batchUnit === 'sequences' ? c.batchSize * c.maxSeqLength : c.batchSize) * c.gradAccumulation;
    return stepsPerRun(c.stepsPerRun, 6 * parameters * tokensPerStep);
  }

  private async createTuner(): Promise<FineTuner> {
    const config = this.p.config;
    return FineTuner.create(this.p.model.config, this.p.model.weights, tuningMethod(config), {
      dtype: config.dtype,
      adamw: { beta1: config.beta1, beta2: config.beta2, weightDecay: config.weightDecay },
      maxGradNorm: config.maxGradNorm,
      provider: config.provider,
      packedSegments: config.packing,
      gradAccumulation: config.gradAccumulation,
      lossScale: true,
      gradientCheckpointing: config.gradientCheckpointing,
      attentionHeadChunks: config.gradientCheckpointing ? config.attentionChunks : undefined,
      lossChunks: config.lossChunks,
      precision: config.precision ?? (config.dtype === 'float32' ? await defaultPrecision(config.provider) : 'fp32'),
      runner: config.stepRunner,
    });
  }

  /** Micro-batch rows × accumulation from now on (same rows per optimizer step: see batch-shape.ts). */
  private adoptShape(config: SftConfig): void {
    this.p.config = config;
    this.p.batchOptions = { ...this.p.batchOptions, batchSize: config.batchSize };
    this.p.plan = new StepPlan(this.p.train, { ...this.p.batchOptions, gradAccumulation: config.gradAccumulation, epochs: config.epochs, maxSteps: config.maxSteps });
  }

  /**
   * The checkpoint to resume from. One saved after an out-of-memory retry has a smaller micro-batch and
   * more accumulation than the config given (same rows per step): the run continues with the shape that fit.
   */
  private resumeCheckpoint(): CheckpointState | null {
    const dir = this.p.run.checkpointsDir;
    const saved = loadLatestCheckpoint(dir);
    if (!saved) return null;
    const current = trajectoryConfig(this.p.config);
    const savedConfig = saved.config as Record<string, unknown>;
    if (savedConfig.batchSize !== current.batchSize || savedConfig.gradAccumulation !== current.gradAccumulation) {
      if (sameStepsOtherShape(savedConfig, current)) {
        this.adoptShape({ ...this.p.config, batchSize: savedConfig.batchSize as number, gradAccumulation: savedConfig.gradAccumulation as number });
        this.log(`sft: the checkpoint continues with batchSize ${this.p.config.batchSize} × gradAccumulation ${this.p.config.gradAccumulation} (set after an out-of-memory; same examples per step)`);
      }
    }
    return loadLatestCheckpoint(dir, { expectConfig: trajectoryConfig(this.p.config) });
  }

  /**
   * Out of memory in a step (#21): nothing was applied. Checkpoint the last finished step, halve the
   * micro-batch and double the accumulation (same examples and per-token loss per step), rebuild the step
   * graphs for that shape and go on; a second out-of-memory, or a shape that cannot be halved, stops the
   * run with what to change. fp16's dynamic loss scale restarts at its initial value on the new graphs.
   */
  private async recoverFromOutOfMemory(
    tuner: FineTuner,
    at: { step: number; epoch: number; attempt: number; rngBefore: RngState; metrics: MetricsLog; error: unknown },
  ): Promise<FineTuner> {
    const device = tuner.runner.provider.provider;
    const shape = sftBatchShape(this.p.config);
    const cause = String((at.error as Error)?.message ?? at.error).split('\n')[0];
    if (!shape) {
      throw new Error(`out of memory on ${device} (${cause}); an unpacked batchUnit 'tokens' micro-batch cannot be halved without regrouping the examples: lower batchSize or maxSeqLength, use packing or batchUnit 'sequences', LoRA, gradientCheckpointing or bf16`);
    }
    const decision = afterOutOfMemory(shape, at.attempt, device);
    if (decision.action === 'stop') throw new Error(`${decision.message} (${cause})`);
    tuner.restoreRng(at.rngBefore); // the failed step drew LoRA dropout masks; the retry draws them again
    this.adoptShape(withBatchShape(this.p.config, decision.to));
    if (at.step > 0) await this.checkpoint(tuner, at.step, this.p.plan.at(at.step).epoch);
    const state = await tuner.readState();
    await tuner.release();
    await this.p.run.rewriteConfig(this.p.config);
    await this.p.run.update({ recoveries: [...(this.p.run.info().recoveries ?? []), decision.note] });
    at.metrics.append({ step: at.step, split: 'oom', micro_batch: decision.to.microBatch, grad_accumulation: decision.to.accumulation, note: decision.note });
    this.log(`sft: step ${at.step + 1}: ${decision.note}`);
    const next = await this.createTuner();
    next.loadState(state);
    next.restoreRng(at.rngBefore);
    return next;
  }

  /**
   * The device was lost in a step (#21): nothing of that step was applied, and retrying on a device that is
   * gone would fail again (or corrupt the run). Save the last finished step while its state can still be
   * read (on a lost GPU it usually cannot: then the newest checkpoint on disk is where a resume starts) and
   * stop with what happened and how to go on. The job runner pauses the device's queue on this error.
   */
  private async stopOnDeviceLoss(tuner: FineTuner, at: { step: number; error: unknown }): Promise<Error> {
    const device = process.env.SAENGGAK_DEVICE ?? tuner.runner.provider.provider;
    let checkpointStep: number | null = null;
    if (at.step > 0) {
      try {
        await this.checkpoint(tuner, at.step, this.p.plan.at(at.step).epoch);
        checkpointStep = at.step;
      } catch (error) {
        this.log(`sft: could not checkpoint step ${at.step} after the device was lost (${(error as Error).message.split('\n')[0]})`);
      }
    }
    checkpointStep ??= latestCheckpointStep(this.p.run.checkpointsDir);
    const message = deviceLostMessage({ device, step: at.step + 1, checkpointStep, run: this.p.config.name!, command: 'train sft', cause: at.error });
    this.log(`sft: ${message}`);
    return new Error(message);
  }

  /** Cancelled: checkpoint where we are, mark the run stopped. */
  private async stop(tuner: FineTuner, step: number, loss: number, tokensPerSecond: number): Promise<SftResult> {
    if (step > 0) await this.checkpoint(tuner, step, this.p.plan.at(step).epoch);
    const summary = this.summary('stopped', step, loss, tokensPerSecond);
    await this.p.run.update({ status: 'stopped', step, summary: numericSummary(summary) });
    this.log(`sft: stopped at step ${step}; resume to continue`);
    return { run: this.p.config.name!, runDir: this.p.run.dir, output: '', summary };
  }

  private async checkpoint(tuner: FineTuner, step: number, epoch: number): Promise<void> {
    const state = await tuner.readState();
    saveCheckpoint(
      this.p.run.checkpointsDir,
      { step, params: state.params, optimizerState: state.optimizerState, config: trajectoryConfig(this.p.config), dataCursor: { epoch, step }, rng: tuner.rngState() },
      { keep: this.p.config.keepCheckpoints },
    );
    await this.p.run.update({ step });
  }

  /** Held-out loss per target token, over every eval example (packed like training). */
  private async evaluate(tuner: FineTuner, metrics: MetricsLog, step: number, padId: number): Promise<void> {
    if (this.p.eval.length === 0) return;
    const { packing, maxSeqLength, batchSize, batchUnit } = this.p.batchOptions;
    const rows: PackedRow[] = packing ? packExamples(this.p.eval, maxSeqLength) : this.p.eval.map((e) => ({ ids: e.ids, targets: e.targets, segments: e.ids.map(() => 1), positions: e.ids.map((_, t) => t), examples: [e.id] }));
    const perBatch = batchUnit === 'sequences' ? batchSize : Math.max(1, Math.floor(batchSize / maxSeqLength));
    let sum = 0;
    let count = 0;
    for (let i = 0; i < rows.length; i += perBatch) {
      const batchRows = rows.slice(i, i + perBatch);
      const n = targetTokenCount(batchRows);
      if (n === 0) continue;
      const mean = await tuner.evaluate(rowsBatch(batchRows, { length: paddedLength(batchRows, this.p.batchOptions), padId, segmentMask: packing }));
      sum += mean * n;
      count += n;
    }
    this.evalLoss = sum / count;
    metrics.append({ step, split: 'eval', loss: this.evalLoss, target_tokens: count });
    this.log(`sft: step ${step} eval loss ${this.evalLoss.toFixed(4)}`);
  }

  /** runs/<name>/output: HF checkpoint (full / selective) or PEFT adapter + tokenizer, and the run config. */
  private async writeOutput(tuner: FineTuner): Promise<string> {
    const dir = this.p.run.outputDir;
    const exported = await tuner.export();
    if ('weights' in exported) saveModel(dir, { config: this.p.model.config, weights: exported.weights, generationConfig: this.p.model.generationConfig }, { tokenizerDir: this.p.config.model });
    else {
      writeLoraAdapter(dir, exported.adapter);
      copyTokenizerFiles(this.p.config.model, dir);
    }
    writeFileSync(join(dir, 'sft_config.yaml'), stringify(this.p.config));
    return dir;
  }

  private summary(status: SftSummary['status'], steps: number, loss: number, tokensPerSecond: number): SftSummary {
    return {
      status,
      steps,
      totalSteps: this.p.plan.totalSteps,
      loss,
      evalLoss: this.evalLoss,
      tokensPerSecond,
      packingEfficiency: packingEfficiency(this.p.plan.allMicroBatches(), this.p.batchOptions),
      examples: { train: this.p.train.length, eval: this.p.eval.length, dropped: this.p.dropped, cut: this.p.cut },
    };
  }

  private padId(): number {
    const c = this.p.model.config;
    return c.padTokenId ?? this.p.tokenizer.padTokenId ?? c.eosTokenIds[0] ?? 0;
  }
}

function tuningMethod(config: SftConfig): TuningMethod {
  const method = config.method;
  if (method.kind === 'full') return { kind: 'full' };
  if (method.kind === 'lora') {
    return { kind: 'lora', seed: config.seed, lora: loraConfig({ r: method.r, loraAlpha: method.alpha, loraDropout: method.dropout, targetModules: method.targetModules, baseModelNameOrPath: config.model }) };
  }
  const parameters = (method.parameters ?? []).map((p) => (p.length > 2 && p.startsWith('/') && p.endsWith('/') ? new RegExp(p.slice(1, -1)) : p));
  const neurons = Object.fromEntries(Object.entries(method.neurons ?? {}).map(([layer, list]) => [Number(layer), list]));
  return { kind: 'selective', selection: { layers: method.layers, parameters, neurons } };
}

function describeExamples(batches: readonly PackedRow[][]): string {
  const ids = batches.flat().flatMap((r) => r.examples);
  return ids.length <= 8 ? ids.join(', ') : `${ids.slice(0, 8).join(', ')} … (${ids.length} in all)`;
}

function numericSummary(s: SftSummary): Record<string, number> {
  const out: Record<string, number> = { steps: s.steps, loss: s.loss, tokensPerSecond: s.tokensPerSecond, packingEfficiency: s.packingEfficiency, trainExamples: s.examples.train, evalExamples: s.examples.eval, dropped: s.examples.dropped, cut: s.examples.cut };
  if (s.evalLoss !== null) out.evalLoss = s.evalLoss;
  return out;
}
