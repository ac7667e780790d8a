// What a trainer drives: its trainable state and optimizer steps taken in runs of S steps of K
// micro-batches. Two ways to run them, one interface:
//   - 'loop' (the default): the loop-step graph (loop-step-runner.ts), one session.run for the whole run,
//     so the trainable state and AdamW moments cross host↔device once per run, not once per micro-batch;
//   - 'per-step': the TrainStepRunner, one session.run per micro-batch (and one for the update). fp16's
//     dynamic loss scaling needs it (a skipped step is retried at a halved scale, decided on the host).
// A non-finite loss or gradient norm ends a run early in both: the steps before it are applied and
// reported, that one is not, and `nonFinite` names it. A run that throws (out of memory, a lost device)
// applies nothing in loop mode; in per-step mode the steps before the failing one are applied — the
// trainers only ever give per-step mode runs of one step, so both leave the state of the last finished step.
import type { LoopStepGraphs } from '../optim/loop-step.ts';
import { NonFiniteLossError } from './errors.ts';
import { LoopStepRunner } from './loop-step-runner.ts';
import type { ProviderChoice, ProviderRequest } from './providers.ts';
import type { SessionSettings } from './step-graph.ts';
import type { HostTensor } from './tensors.ts';
import type { Traffic } from './traffic.ts';
import { TrainStepRunner, type BatchFeed, type StepResult, type TrainState, type TrainStepRunnerOptions } from './train-step-runner.ts';

export type StepRunnerKind = 'loop' | 'per-step';

export interface StepsRun {
  /** One per applied step: its mean loss over the micro-batches, averaged metrics, grad_norm, traffic share. */
  steps: StepResult[];
  /** The step that was not applied because its loss or gradient norm was not finite. */
  nonFinite: { step: number; loss: number; gradNorm: number } | null;
  /** fp16 (per-step): steps retried because their gradients overflowed, with the scale each ran at. */
  overflows: { step: number; lossScale: number }[];
  /** Bytes the whole run moved between host and device. */
  traffic: Traffic;
}

export type TrainStepsOptions = SessionSettings & {
  provider?: ProviderRequest;
  /** Default 'loop'; 'per-step' is required with lossScaling. */
  runner?: StepRunnerKind;
  /** Dynamic loss scaling (fp16): per-step only. */
  lossScaling?: TrainStepRunnerOptions['lossScaling'];
};

type Initial = { params: Record<string, HostTensor>; optimizerState?: Record<string, HostTensor>; step?: number };

export class TrainSteps {
  private constructor(
    readonly kind: StepRunnerKind,
    private readonly loop: LoopStepRunner | null,
    private readonly perStep: TrainStepRunner | null,
    /** Micro-batches per step the per-step runner was built for (1: the fused graph). */
    private readonly fusedSingle: boolean,
  ) {}

  /**
   * `graphs`: the accumulate/apply pair (loop mode, or per-step with accumulation), or a fused step graph
   * (per-step only, one micro-batch per step).
   */
  static async create(graphs: LoopStepGraphs | Parameters<typeof TrainStepRunner.create>[0], initial: Initial, options: TrainStepsOptions = {}): Promise<TrainSteps> {
    const kind = options.runner ?? 'loop';
    if (kind === 'loop') {
      if (!('accumulate' in graphs)) throw new Error('train steps: the loop runner needs the accumulate and apply graphs');
      if (options.lossScaling) throw new Error('train steps: dynamic loss scaling (fp16) needs the per-step runner');
      return new TrainSteps('loop', await LoopStepRunner.create(graphs, initial, options), null, false);
    }
    const runner = await TrainStepRunner.create(graphs, initial, options);
    return new TrainSteps('per-step', null, runner, !('accumulate' in graphs));
  }

  get provider(): ProviderChoice {
    return (this.loop ?? this.perStep)!.provider;
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number {
    return (this.loop ?? this.perStep)!.stepCount;
  }

  /** fp16's current loss scale (null without loss scaling). */
  get lossScale(): number | null {
    return this.perStep?.lossScale ?? null;
  }

  get totalTraffic(): Traffic {
    return (this.loop ?? this.perStep)!.totalTraffic;
  }

  /** The per-step runner (per-step mode), for callers that drive single steps themselves (fp16's skipped steps). */
  get perStepRunner(): TrainStepRunner | null {
    return this.perStep;
  }

  /** Byte sizes of the in-memory external-data pieces (frozen weights) of the newest session. */
  get externalDataPieces(): number[] {
    return (this.loop ?? this.perStep)!.externalDataPieces;
  }

  get optimizerStateNames(): string[] {
    return (this.loop ?? this.perStep)!.optimizerStateNames;
  }

  /** S optimizer steps: `steps[s]` its K micro-batches, `learningRates[s]` its learning rate. */
  async run(steps: BatchFeed[][], learningRates: number[]): Promise<StepsRun> {
    if (this.loop) return this.runLoop(steps as Record<string, HostTensor>[][], learningRates);
    const runner = this.perStep!;
    const before = runner.totalTraffic;
    const out: StepsRun = { steps: [], nonFinite: null, overflows: [], traffic: { hostToDevice: 0, deviceToHost: 0 } };
    for (const [s, micro] of steps.entries()) {
      try {
        let r = await runner.step(this.fusedSingle ? single(micro) : micro, { learningRate: learningRates[s] });
        while (r.skipped) {
          out.overflows.push({ step: r.step + 1, lossScale: r.lossScale! });
          r = await runner.step(this.fusedSingle ? single(micro) : micro, { learningRate: learningRates[s] });
        }
        if (!Number.isFinite(r.metrics.grad_norm ?? 0)) {
          out.nonFinite = { step: r.step, loss: r.loss, gradNorm: r.metrics.grad_norm };
          break;
        }
        out.steps.push(r);
      } catch (error) {
        if (!(error instanceof NonFiniteLossError)) throw error;
        out.nonFinite = { step: error.step, loss: error.loss, gradNorm: NaN };
        break;
      }
    }
    const after = runner.totalTraffic;
    out.traffic = { hostToDevice: after.hostToDevice - before.hostToDevice, deviceToHost: after.deviceToHost - before.deviceToHost };
    return out;
  }

  private async runLoop(steps: Record<string, HostTensor>[][], learningRates: number[]): Promise<StepsRun> {
    const r = await this.loop!.run(steps, learningRates);
    const share = (n: number) => n / steps.length;
    const first = r.step - r.stepsApplied + 1;
    const mean = (row: number[]) => row.reduce((a, b) => a + b, 0) / row.length;
    const results: StepResult[] = [];
    for (let s = 0; s < r.stepsApplied; s++) {
      const metrics: Record<string, number> = { grad_norm: r.gradNorms[s] };
      for (const [key, rows] of Object.entries(r.metrics)) metrics[key] = mean(rows[s]);
      results.push({ step: first + s, loss: mean(r.losses[s]), metrics, traffic: { hostToDevice: share(r.traffic.hostToDevice), deviceToHost: share(r.traffic.deviceToHost) } });
    }
    const nonFinite = r.nonFinite ? { step: r.nonFinite.step, loss: Number.isFinite(r.nonFinite.loss) ? mean(r.losses[r.stepsApplied]) : r.nonFinite.loss, gradNorm: r.nonFinite.gradNorm } : null;
    return { steps: results, nonFinite, overflows: [], traffic: r.traffic };
  }

  readState(): Promise<TrainState> {
    return (this.loop ?? this.perStep)!.readState();
  }

  readParams(): Promise<Record<string, HostTensor>> {
    return (this.loop ?? this.perStep)!.readParams();
  }

  loadState(state: TrainState): void {
    (this.loop ?? this.perStep)!.loadState(state);
  }

  async release(): Promise<void> {
    await (this.loop ?? this.perStep)!.release();
  }
}

function single(micro: BatchFeed[]): BatchFeed {
  if (micro.length !== 1) throw new Error(`train steps: ${micro.length} micro-batches for a step of the fused (one micro-batch) graph`);
  return micro[0];
}
