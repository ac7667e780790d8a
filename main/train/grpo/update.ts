// A step's update: group-relative advantages of the shaped rewards, the rollout batch cut into
// mini-batches of similar lengths, old (rollout-policy) and reference log-probs per mini-batch, then
// μ = updateEpochs passes of clipped-ratio optimizer steps. With the loop runner (stepRunner 'loop', the
// default) all μ × mini-batches steps go to onnxruntime as one run, so the trainable state and AdamW moments
// cross host↔device once per GRPO step; per step (fp16, or on request) each optimizer step is a run of its own.
// An out-of-memory halves the rows per update graph and doubles accumulation (the same update) and retries
// the run (a failed run applied nothing), so the PolicyUpdater owns the policy: after such a recovery it is
// a new Policy object with the same state.
import { afterOutOfMemory, classifyDeviceError, deviceLostMessage, type BatchShape } from '../../devices/oom.ts';
import { latestCheckpointStep, type StepsRun } from '../../engine/index.ts';
import type { Precision } from '../../models/fine-tune.ts';
import type { HfModel } from '../../models/weights.ts';
import type { LoraAdapter } from '../../models/peft.ts';
import { assertFinite, learningRateAt, type MetricsLog, type RunFolder } from '../run/index.ts';
import { groupAdvantages } from './advantages.ts';
import { scheduleFor } from '../shared/config-base.ts';
import { grpoBase, responsesPerUpdate, type GrpoConfig } from './config.ts';
import { packBatch, Policy, type PolicyOptions, type UpdateItem } from './policy.ts';
import type { ScoredGroup } from './score.ts';

/** Advantages of a step's groups, laid out group after group (groupSize responses each). */
export function stepAdvantages(groups: readonly ScoredGroup[], config: GrpoConfig): Float64Array {
  const shaped = groups.flatMap((g) => g.shaped);
  return groupAdvantages(shaped, config.rollout.groupSize, { std: config.objective.advantage.std, eps: config.objective.advantage.eps });
}

/** What one step's update did: per-mini-batch metrics (loss, grad_norm, kl, …), tokens and time. */
export interface UpdateOutcome {
  lr: number;
  stepMetrics: Record<string, number[]>;
  updateTokens: number;
  updateSeconds: number;
}

/** Where an update writes what it had to change (an out-of-memory recovery) and what it says. */
export interface UpdateContext {
  run: RunFolder;
  metrics: MetricsLog;
  log: (line: string) => void;
  checkSignal: () => void;
  padId: number;
}

export class PolicyUpdater {
  /** Times an update ran out of memory in this process (afterOutOfMemory stops after repeated ones). */
  private outOfMemory = 0;

  private constructor(
    private readonly hf: HfModel,
    private readonly config: GrpoConfig,
    private readonly options: (gradAccumulation: number) => PolicyOptions & { adapter?: LoraAdapter },
    /** The policy being trained (a new object after an out-of-memory recovery). */
    public policy: Policy,
    /** Rows per update graph: the whole mini-batch until an out-of-memory halves it (same updates, #21). */
    public shape: BatchShape,
  ) {}

  static async create(hf: HfModel, config: GrpoConfig, adapter: LoraAdapter | undefined, precision: Precision): Promise<PolicyUpdater> {
    const options = (gradAccumulation: number) => ({
      objective: { epsLow: config.objective.clip.epsLow, epsHigh: config.objective.clip.epsHigh, clipMode: config.objective.clip.mode, aggregation: config.objective.lossAggregation, beta: config.objective.kl.beta, maxNewTokens: config.rollout.maxNewTokens },
      adamw: { weightDecay: config.optimization.weightDecay, beta1: config.optimization.beta1, beta2: config.optimization.beta2 },
      maxGradNorm: config.optimization.maxGradNorm,
      provider: config.provider,
      temperature: config.rollout.temperature,
      adapter,
      gradientCheckpointing: config.gradientCheckpointing,
      attentionHeadChunks: config.gradientCheckpointing ? config.attentionChunks : undefined,
      precision,
      gradAccumulation,
      stepRunner: config.stepRunner,
    });
    const policy = await Policy.create(hf.config, hf.weights, config.method, options(1));
    return new PolicyUpdater(hf, config, options, policy, { microBatch: responsesPerUpdate(config), accumulation: 1 });
  }

  /** μ epochs of optimizer steps over the step's groups, with `advantages` from stepAdvantages. */
  async update(step: number, groups: readonly ScoredGroup[], advantages: Float64Array, ctx: UpdateContext): Promise<UpdateOutcome> {
    const config = this.config;
    const t1 = performance.now();
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
    const packed = chunks.map((c) => packBatch(c.rows, ctx.padId));
    // Old log-probs from the rollout policy (before any update of this step), and the reference: one
    // mini-batch at a time (all at once held every batch's activations and a copy of the state per call).
    const old: Float32Array[] = [];
    const ref: Float32Array[] | null = this.policy.usesReference ? [] : null;
    for (const b of packed) {
      old.push(await this.policy.logProbs(b, 'current'));
      if (ref) ref.push(await this.policy.logProbs(b, 'reference'));
    }
    const lr = learningRateAt(step, config.steps, scheduleFor(grpoBase(config), config.steps));
    const stepMetrics: Record<string, number[]> = {};
    let updateTokens = 0;
    // Every optimizer step of every epoch, in order (the old/ref log-probs above do not change with updates).
    const items: { epoch: number; index: number; item: UpdateItem }[] = [];
    for (let epoch = 0; epoch < config.objective.updateEpochs; epoch++) {
      for (const [i, b] of packed.entries()) items.push({ epoch, index: i, item: { batch: b, oldLogProbs: old[i], refLogProbs: ref?.[i], advantages: chunks[i].adv } });
    }
    const where = (x: (typeof items)[number]) => ({ step, batch: `rollout batch of step ${step}, epoch ${x.epoch + 1}, mini-batch ${x.index + 1}` });
    // Loop: the whole update is one run. Per step: a run per optimizer step, as a failing per-step run keeps the
    // steps before the failure applied, and an out-of-memory retry must repeat only what was not applied.
    const runs = this.policy.runner.kind === 'loop' ? [items] : items.map((x) => [x]);
    for (const part of runs) {
      ctx.checkSignal();
      let run: StepsRun;
      let first: number;
      for (;;) {
        first = this.policy.runner.stepCount + 1;
        try {
          run = await this.policy.updates(part.map((x) => x.item), lr);
          break;
        } catch (error) {
          if (classifyDeviceError(error) === 'device-lost') throw this.deviceLost(step, error, ctx);
          if (classifyDeviceError(error) !== 'oom') throw error;
          // The run applied nothing (loop: one session.run; per step: a run of one step): recover and rerun it.
          await this.recover(step, error, ctx);
        }
      }
      // fp16 loss scaling: an overflowed step changed nothing; it was retried at the halved scale.
      for (const o of run.overflows) ctx.log(`step ${step}: mini-batch ${part[o.step - first].index + 1} skipped (fp16 gradients overflowed at loss scale ${o.lossScale}); retried at ${o.lossScale / 2}`);
      for (const [j, result] of run.steps.entries()) {
        assertFinite({ loss: result.loss, grad_norm: result.metrics.grad_norm }, where(part[j]));
        for (const [k, v] of Object.entries({ loss: result.loss, ...result.metrics })) (stepMetrics[k] ??= []).push(v);
        updateTokens += part[j].item.batch.batch * part[j].item.batch.seq;
      }
      // The step after the applied ones was not applied: its loss or gradient norm was not finite.
      if (run.nonFinite) assertFinite({ loss: run.nonFinite.loss, grad_norm: run.nonFinite.gradNorm }, where(part[run.steps.length]));
    }
    return { lr, stepMetrics, updateTokens, updateSeconds: (performance.now() - t1) / 1000 };
  }

  /**
   * The device is gone (#21): no retry there. Nothing is saved now — the step is part applied and GRPO's
   * data cursor is per step — so a resume starts from the newest checkpoint, which the message names.
   */
  private deviceLost(step: number, error: unknown, ctx: UpdateContext): Error {
    const device = process.env.SAENGGAK_DEVICE ?? this.policy.runner.provider.provider;
    const message = deviceLostMessage({ device, step, checkpointStep: latestCheckpointStep(ctx.run.checkpointsDir), run: ctx.run.info().name, command: 'train grpo', cause: error });
    ctx.log(message);
    return new Error(message);
  }

  /**
   * Out of memory (#21): the run changed nothing (loop: the whole update; per step: one mini-batch). Halve the rows per update graph, double
   * accumulation (the same update), rebuild the policy's graphs on the current state; the caller retries.
   * No checkpoint here: GRPO's data cursor is per step and the step is half done; the state carries over in
   * memory and the next saveEvery checkpoint includes it.
   */
  private async recover(step: number, error: unknown, ctx: UpdateContext): Promise<void> {
    const decision = afterOutOfMemory(this.shape, ++this.outOfMemory, this.policy.runner.provider.provider);
    const cause = String((error as Error).message).split('\n')[0];
    if (decision.action === 'stop') throw new Error(`${decision.message.replace('lower batchSize', 'lower objective.miniBatch or rollout.promptsPerStep')} (${cause})`);
    const state = await this.policy.readState();
    await this.policy.release();
    this.shape = decision.to;
    this.policy = await Policy.create(this.hf.config, this.hf.weights, this.config.method, this.options(this.shape.accumulation));
    this.policy.loadState(state);
    await ctx.run.update({ recoveries: [...(ctx.run.info().recoveries ?? []), decision.note] });
    ctx.metrics.append({ step: step - 1, split: 'oom', micro_batch: this.shape.microBatch, grad_accumulation: this.shape.accumulation, note: decision.note });
    ctx.log(`step ${step}: ${decision.note}`);
  }
}
