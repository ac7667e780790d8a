// The memory a run will need on the chosen device, before it starts: weights, gradients, optimizer state
// and activations from the model's shapes (models/memory.ts), and when it does not fit, what to change.
import { join } from 'node:path';
import type { DevicesInfo, GpuInfo } from '../devices/types.ts';
import { checkDevice } from '../devices/check-device.ts';
import type { MemoryAdvice, RunKindName, RunMemoryEstimate } from './run/types.ts';
import { CodedError } from '../store/errors.ts';
import { chooseProviderFrom, type ExecutionProviderName } from '../engine/runtime/providers.ts';
import { sftConfigSchema, sftShape, type SftConfig } from './sft/config.ts';
import { trainingMemoryBytes, type TrainingShape } from './shared/memory.ts';
import { GPU_SIZES } from '../models/memory-plan.ts';
import { rmConfigSchema, rmShape, type RmConfig } from './rm/config.ts';
import { grpoConfigSchema, grpoShape, PROMPT_TOKENS_ALLOWANCE, responsesPerUpdate, rolloutResponses, type GrpoConfig } from './grpo/config.ts';
import { loadModelConfig, type ModelConfig } from '../models/config.ts';
import { estimateTrainingMemory, parameterCounts, DEFAULT_LORA_TARGETS } from '../models/memory.ts';
import { expectedWeightShapes } from '../models/weights.ts';
import { getDevices } from '../devices/index.ts';
import { validateConfig } from './run/validate-config.ts';
import { resolveModelPath } from './run/start-models.ts';

/** A GPU's memory a new run can have: what nvidia-smi reports free now (other jobs' and apps' use counted). */
const freeBytes = (gpu: GpuInfo) => Math.max(0, gpu.memoryTotalMiB - gpu.memoryUsedMiB) * 2 ** 20;

/** The device a provider choice (or an explicit `device`, e.g. cuda:1) lands on and the memory it has. */
async function chooseDevice(devices: DevicesInfo, provider: 'auto' | 'cpu' | 'cuda' | 'webgpu', device?: string): Promise<RunMemoryEstimate['device']> {
  const available = (name: string) => devices.providers.some((p) => p.name === name && p.available);
  if (device) {
    let resolved;
    try {
      // The same check as a form's device and the CLI's --device, against the report already read.
      resolved = await checkDevice(device, async () => ({ gpus: devices.gpus, webgpu: available('webgpu') }));
    } catch (error) {
      throw new CodedError('invalid_input', (error as Error).message);
    }
    if (resolved.gpu) return { provider: 'cuda', name: `${resolved.label} ${resolved.gpu.name}`, memoryBytes: freeBytes(resolved.gpu) };
    if (resolved.provider === 'cpu') return { provider: 'cpu', name: devices.cpu.model, memoryBytes: devices.cpu.memoryTotalMiB * 2 ** 20 };
    provider = resolved.provider;
  }
  const gpu = devices.gpus[0];
  // The engine's provider rule over the Devices page's probes, so the estimate lands where a session would;
  // a GPU provider counts only with a GPU to plan for.
  const reasonOf = (p: ExecutionProviderName) => (p === 'cpu' ? null : !available(p) ? `${p} is unavailable` : gpu ? null : 'no GPU to plan for');
  const pick = provider === 'auto' ? chooseProviderFrom('auto', reasonOf).provider : provider;
  if (pick !== 'cpu' && gpu) return { provider: pick, name: gpu.name, memoryBytes: freeBytes(gpu) };
  if (pick !== 'cpu') throw new CodedError('invalid_input', `no GPU was found for the ${pick} provider (see the Devices page)`);
  return { provider: 'cpu', name: devices.cpu.model, memoryBytes: devices.cpu.memoryTotalMiB * 2 ** 20 };
}

/** Share of the device's memory a run may plan for (allocator slack, the OS, the app itself). */
const USABLE_SHARE = 0.9;

type Plan = {
  model: ModelConfig;
  /** Sequences per micro-batch and their length. */
  batch: number;
  seqLength: number;
  method: { kind: 'full' } | { kind: 'lora'; r: number; targets: string[] } | { kind: 'selective'; trainable: number };
  weightBytes: number;
  /** Extra bytes held beside the train step (GRPO: the rollouts' KV cache, a reference copy). */
  extra: number;
  /** The config's knobs that the advice names. */
  batchField: string;
  seqField: string;
  /** The value of seqField that gave seqLength. */
  seqFieldValue: number;
  /** Sequences per unit of batchField (2 for reward models: a chosen and a rejected sequence per pair). */
  batchScale: number;
  /**
   * What one optimizer graph holds, for the planner `pipeline check` and the trainers use (models/memory-plan.ts,
   * measured against peak RSS); null for selective tuning, which the planner does not model.
   */
  shape: TrainingShape | null;
};

function loraTargets(targets: readonly string[] | undefined): string[] {
  if (!targets || targets.includes('all-linear')) return [...DEFAULT_LORA_TARGETS];
  return targets.filter((t) => DEFAULT_LORA_TARGETS.includes(t));
}

/** Trainable weights of selective tuning: whole layers, named or /regex/ parameters, MLP neurons. */
function selectiveTrainable(model: ModelConfig, method: { layers?: number[]; parameters?: string[]; neurons?: Record<string, number[]> }): number {
  const counts = parameterCounts(model);
  let n = (method.layers?.length ?? 0) * counts.perLayer;
  const patterns = (method.parameters ?? []).map((p) => (p.startsWith('/') && p.endsWith('/') && p.length > 2 ? new RegExp(p.slice(1, -1)) : p));
  for (const [name, shape] of expectedWeightShapes(model)) {
    if (patterns.some((p) => (typeof p === 'string' ? p === name : p.test(name)))) n += shape.reduce((a, b) => a * b, 1);
  }
  for (const ids of Object.values(method.neurons ?? {})) n += ids.length * 3 * model.hiddenSize;
  return Math.min(n, counts.total);
}

/** The trainer's method (SFT and GRPO share the schema's shape) as the estimate counts it. */
function planMethod(model: ModelConfig, method: SftConfig['method'] | GrpoConfig['method']): Plan['method'] {
  if (method.kind === 'lora') return { kind: 'lora', r: method.r, targets: loraTargets(method.targetModules) };
  if (method.kind === 'selective') return { kind: 'selective', trainable: selectiveTrainable(model, method) };
  return { kind: 'full' };
}

/**
 * The estimate reads the model and the shapes, never the data: a form that has not chosen its dataset
 * yet still gets an estimate (a stand-in source fills the required field).
 */
function withStandInData(kind: RunKindName, raw: Record<string, unknown>): Record<string, unknown> {
  const blank = (v: unknown) => v === undefined || v === '' || (typeof v === 'object' && v !== null && !Object.values(v).some((x) => typeof x === 'string' && x !== ''));
  if (kind === 'sft' && blank(raw.data)) return { ...raw, data: 'estimate' };
  if (kind === 'grpo' && blank(raw.prompts)) return { ...raw, prompts: { dataset: 'estimate' } };
  if (kind === 'rm' && blank(raw.data)) return { ...raw, data: 'estimate' };
  return raw;
}

function planFor(root: string, kind: RunKindName, given: Record<string, unknown>): Plan {
  const raw = withStandInData(kind, given);
  const modelPath = typeof raw.model === 'string' ? resolveModelPath(root, raw.model) : null;
  if (!modelPath) throw new CodedError('invalid_input', 'model: choose the model folder to start from');
  let model: ModelConfig;
  try {
    model = loadModelConfig(modelPath);
  } catch (error) {
    throw new CodedError('invalid_input', `model: cannot read ${join(modelPath, 'config.json')} (${(error as Error).message})`);
  }
  if (kind === 'sft') {
    const c: SftConfig = sftConfigSchema.parse(validateConfig('sft', raw));
    const rows = c.batchUnit === 'tokens' ? Math.max(1, Math.floor(c.batchSize / c.maxSeqLength)) : c.batchSize;
    const method = planMethod(model, c.method);
    const shape = method.kind === 'selective' ? null : sftShape(c);
    return { model, batch: rows, seqLength: c.maxSeqLength, method, weightBytes: c.dtype === 'float64' ? 8 : 4, extra: 0, batchField: 'batchSize', seqField: 'maxSeqLength', seqFieldValue: c.maxSeqLength, batchScale: 1, shape };
  }
  if (kind === 'grpo') {
    const c: GrpoConfig = grpoConfigSchema.parse(validateConfig('grpo', raw));
    const responses = responsesPerUpdate(c);
    // Prompts are not read here: allow PROMPT_TOKENS_ALLOWANCE (256) tokens of prompt beside the response.
    const seqLength = c.rollout.maxNewTokens + PROMPT_TOKENS_ALLOWANCE;
    const method = planMethod(model, c.method);
    // Rollouts keep a float32 KV cache for the whole rollout batch; with full tuning and a KL term the
    // reference is a second copy of the weights (LoRA switches the adapter off instead).
    const kvCache = 2 * model.numLayers * model.numKvHeads * model.headDim * 4 * seqLength * rolloutResponses(c.rollout);
    const reference = c.objective.kl.beta > 0 && c.method.kind !== 'lora' ? parameterCounts(model).total * 4 : 0;
    const shape = method.kind === 'selective' ? null : grpoShape(c);
    return { model, batch: responses, seqLength, method, weightBytes: 4, extra: kvCache + reference, batchField: 'objective.miniBatch', seqField: 'rollout.maxNewTokens', seqFieldValue: c.rollout.maxNewTokens, batchScale: 1, shape };
  }
  // Reward model: a chosen and a rejected sequence per pair (pairsPerBatch, maxLength), scored by a one-label head.
  const parsed = rmConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new CodedError('invalid_input', `invalid RM config: ${issues.join('; ')}`, { issues });
  }
  const c: RmConfig = parsed.data;
  const scorer: ModelConfig = { ...model, task: 'sequence-classification', numLabels: 1 };
  const method: Plan['method'] = c.method.kind === 'lora' ? { kind: 'lora', r: c.method.r, targets: loraTargets(c.method.targetModules) } : { kind: 'full' };
  return { model: scorer, batch: c.pairsPerBatch * 2, seqLength: c.maxLength, method, weightBytes: 4, extra: 0, batchField: 'pairsPerBatch', seqField: 'maxLength', seqFieldValue: c.maxLength, batchScale: 2, shape: rmShape(c) };
}

function estimate(plan: Plan, device: RunMemoryEstimate['device']): RunMemoryEstimate {
  const rank = plan.method.kind === 'lora' ? plan.method.r : 16;
  const targets = plan.method.kind === 'lora' ? plan.method.targets : DEFAULT_LORA_TARGETS;
  const at = (batch: number, seqLength: number) => {
    const e = estimateTrainingMemory(plan.model, { batchSize: batch, seqLength, weightBytes: plan.weightBytes, loraRank: rank, loraTargets: targets });
    const parts = plan.method.kind === 'lora' ? e.lora : { ...e.full };
    if (plan.method.kind === 'selective') {
      parts.trainableParameters = plan.method.trainable;
      parts.gradients = plan.method.trainable * 4;
      parts.optimizer = plan.method.trainable * 8;
    }
    const activations = parts.activations + plan.extra;
    return { ...parts, activations, total: parts.weights + parts.gradients + parts.optimizer + activations };
  };
  // The planner's peak for the same shape (what `pipeline check` says); the run needs the larger of the two.
  const planned = (batch: number, seqLength: number) => (plan.shape ? trainingMemoryBytes(plan.model, { ...plan.shape, sequences: batch, seqLength }, device.provider) : 0);
  const need = (batch: number, seqLength: number) => Math.max(at(batch, seqLength).total, planned(batch, seqLength));
  const parts = at(plan.batch, plan.seqLength);
  const plannedPeakBytes = plan.shape ? planned(plan.batch, plan.seqLength) : undefined;
  const budget = device.memoryBytes * USABLE_SHARE;
  const fits = need(plan.batch, plan.seqLength) <= budget;
  const advice: MemoryAdvice[] = [];
  if (!fits) {
    let batch = plan.batch;
    while (batch > plan.batchScale && need(batch, plan.seqLength) > budget) batch = Math.max(plan.batchScale, Math.floor(batch / 2));
    if (batch < plan.batch && need(batch, plan.seqLength) <= budget) {
      advice.push({ action: 'lower', field: plan.batchField, value: Math.max(1, Math.floor(batch / plan.batchScale)) });
    }
    if (plan.method.kind !== 'lora' && need(plan.batch, plan.seqLength) > budget) {
      const asLora = estimateTrainingMemory(plan.model, { batchSize: plan.batch, seqLength: plan.seqLength, weightBytes: plan.weightBytes }).lora.total + plan.extra;
      if (asLora <= budget) advice.push({ action: 'use-lora' });
    }
    let seq = plan.seqLength;
    while (seq > 64 && need(plan.batch, seq) > budget) seq = Math.floor(seq / 2);
    if (seq < plan.seqLength && need(plan.batch, seq) <= budget) {
      // GRPO's knob is maxNewTokens; the estimate adds the prompt allowance to it.
      advice.push({ action: 'lower', field: plan.seqField, value: Math.max(1, seq - (plan.seqLength - plan.seqFieldValue)) });
    }
    if (advice.length === 0) advice.push({ action: 'smaller-model' });
  }
  return {
    parameters: parameterCounts(plan.model).total,
    trainableParameters: parts.trainableParameters,
    weights: parts.weights,
    gradients: parts.gradients,
    optimizer: parts.optimizer,
    activations: parts.activations,
    total: parts.total,
    batchSize: plan.batch,
    seqLength: plan.seqLength,
    device,
    fits,
    advice,
    ...(plannedPeakBytes === undefined
      ? {}
      : { plannedPeakBytes, gpuFits: Object.fromEntries(Object.entries(GPU_SIZES).map(([k, v]) => [k, plannedPeakBytes <= 0.9 * v])) as Record<keyof typeof GPU_SIZES, boolean> }),
  };
}

/** The estimate for a run of KIND with CONFIG (possibly incomplete) on the device PROVIDER lands on. */
export async function estimateRun(
  root: string,
  kind: RunKindName,
  config: Record<string, unknown>,
  provider: 'auto' | 'cpu' | 'cuda' | 'webgpu',
  device?: string,
): Promise<RunMemoryEstimate> {
  return estimate(planFor(root, kind, config), await chooseDevice(await getDevices(), provider, device));
}
