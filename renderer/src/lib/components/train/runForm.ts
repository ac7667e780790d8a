// The New-run form's state and the trainer config it becomes. Defaults follow the trainers' schemas
// (main/train/sft/config.ts, main/train/grpo/config.ts); only fields the form shows are written, so the
// trainer fills the rest and the saved config.yaml stays the one source of truth. Pure: unit-tested.

export type Provider = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export type MethodKind = 'full' | 'lora' | 'selective';

export type SftForm = {
  name: string;
  model: string;
  dataset: string;
  method: MethodKind;
  loraR: number;
  loraAlpha: number;
  /** Comma-separated layer indices for selective tuning. */
  layers: string;
  /** Selective tuning: a neuron selection file (`saenggak neurons find`, the Neurons page's "Tune these"); '' for none. */
  neurons: string;
  maxSeqLength: number;
  packing: boolean;
  batchSize: number;
  gradAccumulation: number;
  epochs: number;
  /** null: derived from epochs. */
  maxSteps: number | null;
  learningRate: number;
  warmupRatio: number;
  decay: 'cosine' | 'linear' | 'constant';
  weightDecay: number;
  maxGradNorm: number | null;
  evalSplit: number;
  evalEvery: number;
  saveEvery: number;
  seed: number;
  provider: Provider;
};

export type GrpoForm = {
  name: string;
  model: string;
  prompts: string;
  method: MethodKind;
  loraR: number;
  loraAlpha: number;
  layers: string;
  groupSize: number;
  promptsPerStep: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  weights: { accuracy: number; format: number; language: number };
  advantageStd: 'group' | 'batch' | 'none';
  epsLow: number;
  epsHigh: number;
  lossAggregation: 'token' | 'sequence' | 'constant';
  updateEpochs: number;
  klBeta: number;
  overlong: 'none' | 'mask' | 'soft';
  dynamicSampling: boolean;
  learningRate: number;
  steps: number;
  saveEvery: number;
  seed: number;
  provider: Provider;
};

export function defaultSftForm(): SftForm {
  return {
    name: '',
    model: '',
    dataset: '',
    method: 'lora',
    loraR: 16,
    loraAlpha: 32,
    layers: '',
    neurons: '',
    maxSeqLength: 1024,
    packing: true,
    batchSize: 8,
    gradAccumulation: 1,
    epochs: 1,
    maxSteps: null,
    learningRate: 1e-4,
    warmupRatio: 0.03,
    decay: 'cosine',
    weightDecay: 0,
    maxGradNorm: 1,
    evalSplit: 0.05,
    evalEvery: 50,
    saveEvery: 100,
    seed: 42,
    provider: 'auto',
  };
}

export function defaultGrpoForm(): GrpoForm {
  return {
    name: '',
    model: '',
    prompts: '',
    method: 'lora',
    loraR: 16,
    loraAlpha: 32,
    layers: '',
    groupSize: 8,
    promptsPerStep: 8,
    temperature: 1,
    topP: 1,
    maxNewTokens: 512,
    weights: { accuracy: 1, format: 0.2, language: 0.5 },
    advantageStd: 'group',
    epsLow: 0.2,
    epsHigh: 0.28,
    lossAggregation: 'token',
    updateEpochs: 1,
    klBeta: 0,
    overlong: 'none',
    dynamicSampling: false,
    learningRate: 1e-5,
    steps: 100,
    saveEvery: 25,
    seed: 0,
    provider: 'auto',
  };
}

/** "0, 2,3" → [0, 2, 3]; anything that is not a non-negative integer is left out. */
export function parseLayers(text: string): number[] {
  return [...new Set(text.split(/[\s,]+/).filter((t) => /^\d+$/.test(t)).map(Number))].sort((a, b) => a - b);
}

function method(kind: MethodKind, r: number, alpha: number, layers: string): Record<string, unknown> {
  if (kind === 'lora') return { kind: 'lora', r, alpha };
  if (kind === 'selective') return { kind: 'selective', layers: parseLayers(layers) };
  return { kind: 'full' };
}

/** A number input left empty (or invalid) reads as null or NaN: those fields are not written. */
function set(target: Record<string, unknown>, key: string, v: number | null | undefined): void {
  if (typeof v === 'number' && Number.isFinite(v)) target[key] = v;
}

export function sftConfigFrom(f: SftForm): Record<string, unknown> {
  const c: Record<string, unknown> = {
    model: f.model.trim(),
    data: f.dataset.trim(),
    method: { ...method(f.method, f.loraR, f.loraAlpha, f.layers), ...(f.method === 'selective' && f.neurons.trim() ? { neurons: f.neurons.trim() } : {}) },
    packing: f.packing,
    decay: f.decay,
    provider: f.provider,
  };
  if (f.name.trim()) c.name = f.name.trim();
  for (const key of ['maxSeqLength', 'batchSize', 'gradAccumulation', 'epochs', 'maxSteps', 'learningRate', 'warmupRatio', 'weightDecay', 'evalSplit', 'evalEvery', 'saveEvery', 'seed'] as const) {
    set(c, key, f[key]);
  }
  c.maxGradNorm = typeof f.maxGradNorm === 'number' && Number.isFinite(f.maxGradNorm) && f.maxGradNorm > 0 ? f.maxGradNorm : null;
  return c;
}

export function grpoConfigFrom(f: GrpoForm): Record<string, unknown> {
  const rewards: Record<string, unknown> = {};
  for (const k of ['accuracy', 'format', 'language'] as const) {
    if (Number.isFinite(f.weights[k]) && f.weights[k] > 0) rewards[k] = { weight: f.weights[k] };
  }
  const rollout: Record<string, unknown> = {};
  for (const key of ['groupSize', 'promptsPerStep', 'temperature', 'topP', 'maxNewTokens'] as const) set(rollout, key, f[key]);
  const clip: Record<string, unknown> = {};
  set(clip, 'epsLow', f.epsLow);
  set(clip, 'epsHigh', f.epsHigh);
  const objective: Record<string, unknown> = {
    advantage: { std: f.advantageStd },
    clip,
    lossAggregation: f.lossAggregation,
    kl: { beta: Number.isFinite(f.klBeta) ? f.klBeta : 0 },
    overlong: { mode: f.overlong },
  };
  set(objective, 'updateEpochs', f.updateEpochs);
  const optimization: Record<string, unknown> = {};
  set(optimization, 'learningRate', f.learningRate);
  const c: Record<string, unknown> = {
    model: f.model.trim(),
    method: method(f.method, f.loraR, f.loraAlpha, f.layers),
    prompts: { dataset: f.prompts.trim() },
    rollout,
    rewards,
    objective,
    dynamicSampling: { enabled: f.dynamicSampling },
    optimization,
    provider: f.provider,
  };
  if (f.name.trim()) c.name = f.name.trim();
  set(c, 'steps', f.steps);
  set(c, 'saveEvery', f.saveEvery);
  set(c, 'seed', f.seed);
  return c;
}
