// Rotary settings from a Hugging Face config.json, as transformers v4 and v5 write them.
//
// transformers v4: a top-level `rope_theta` and an optional `rope_scaling` object ({rope_type | type,
// factor, ...}). transformers v5 folds both into `rope_parameters` ({rope_type, rope_theta, factor, ...});
// hybrid models key it by layer type instead ({full_attention: {...}, sliding_attention: {...}}).
// Reading only the v4 keys from a v5 file silently falls back to θ = 10000 (wrong logits, no error),
// so every spelling is read here, once, and anything we cannot compute is refused with its key named.

/** Rotary scaling as config.json states it (`rope_type` or the older `type`), or null. */
export interface RopeScaling {
  ropeType: string;
  factor: number | null;
  /** The full original object (llama3 / yarn parameters live here). */
  raw: Record<string, unknown>;
}

/** rope_type values our rotary tables compute exactly (main/models/rotary.ts, reference.ts). */
export const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3'] as const;

/** Keys a rope object may carry that do not change the tables for the supported types. */
const IGNORED_ROPE_KEYS = new Set(['rope_type', 'type', 'rope_theta']);

/** Keys each supported type needs, and those it may carry (anything else is refused, named). */
const ROPE_TYPE_KEYS: Record<string, { required: string[]; optional: string[] }> = {
  default: { required: [], optional: [] },
  linear: { required: ['factor'], optional: [] },
  llama3: { required: ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'], optional: [] },
};

export interface RopeSettings {
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Which spelling the file used, so writing back keeps it (`rope_parameters` is v5). */
  style: 'v4' | 'v5';
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The rope object of a v5 config: `rope_parameters` itself, or its `full_attention` entry when keyed by
 * layer type (we run full attention only; `layerTypes` has been checked to hold nothing else).
 */
function v5RopeObject(params: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(params);
  const byLayerType = keys.length > 0 && keys.every((k) => k.endsWith('_attention') && isObject(params[k]));
  if (!byLayerType) return params;
  if (!isObject(params.full_attention)) throw new Error(`"rope_parameters" is keyed by layer type (${keys.join(', ')}) but has no "full_attention" entry`);
  return params.full_attention;
}

/** Reads θ and scaling from either spelling; throws naming the key for anything unsupported. */
export function readRopeSettings(raw: Record<string, unknown>): RopeSettings {
  const params = raw.rope_parameters;
  let source: Record<string, unknown> | null = null;
  let where: string;
  let style: 'v4' | 'v5';
  if (params != null) {
    if (!isObject(params)) throw new Error(`"rope_parameters" must be an object, got ${JSON.stringify(params)}`);
    source = v5RopeObject(params);
    where = source === params ? 'rope_parameters' : 'rope_parameters.full_attention';
    style = 'v5';
    if (raw.rope_scaling != null && isObject(raw.rope_scaling)) {
      // v5 migrates rope_scaling into rope_parameters; both present and disagreeing is ambiguous.
      const a = (raw.rope_scaling.rope_type ?? raw.rope_scaling.type) as unknown;
      const b = source.rope_type ?? source.type ?? 'default';
      if (a !== undefined && a !== b) throw new Error(`"rope_scaling" (rope_type ${JSON.stringify(a)}) and "${where}" (rope_type ${JSON.stringify(b)}) disagree; remove one`);
    }
  } else {
    const rs = raw.rope_scaling;
    if (rs != null && !isObject(rs)) throw new Error(`"rope_scaling" must be an object or null, got ${JSON.stringify(rs)}`);
    source = rs ?? null;
    where = 'rope_scaling';
    style = 'v4';
  }

  // θ: inside rope_parameters (v5) or top level (v4); both present must agree.
  const inner = source?.rope_theta;
  const outer = raw.rope_theta;
  for (const [key, v] of [[`${where}.rope_theta`, inner], ['rope_theta', outer]] as const) {
    if (v != null && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) throw new Error(`"${key}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  if (inner != null && outer != null && inner !== outer) throw new Error(`"rope_theta" ${outer} and "${where}.rope_theta" ${inner} disagree; remove one`);
  const ropeTheta = (inner ?? outer ?? 10000) as number;

  if (raw.partial_rotary_factor != null && raw.partial_rotary_factor !== 1) throw new Error(`"partial_rotary_factor" ${JSON.stringify(raw.partial_rotary_factor)} is not supported (only 1: rotary over the whole head)`);
  if (!source) return { ropeTheta, ropeScaling: null, style };
  if (source.partial_rotary_factor != null && source.partial_rotary_factor !== 1) throw new Error(`"${where}.partial_rotary_factor" ${JSON.stringify(source.partial_rotary_factor)} is not supported (only 1)`);

  const ropeType = source.rope_type ?? source.type ?? (style === 'v5' ? 'default' : undefined);
  if (typeof ropeType !== 'string') throw new Error(`"${where}" has no rope_type: ${JSON.stringify(source)}`);
  const spec = ROPE_TYPE_KEYS[ropeType];
  if (!spec) throw new Error(`"${where}.rope_type" ${JSON.stringify(ropeType)} is not supported (supported: ${SUPPORTED_ROPE_TYPES.join(', ')})`);
  for (const key of spec.required) {
    const v = source[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`"${where}.${key}" must be a positive number for rope_type "${ropeType}", got ${JSON.stringify(v)}`);
  }
  for (const key of Object.keys(source)) {
    if (IGNORED_ROPE_KEYS.has(key) || spec.required.includes(key) || spec.optional.includes(key) || key === 'partial_rotary_factor') continue;
    // A `factor` of 1 on a default rope is harmless (some exports write it); anything else changes the tables.
    if (ropeType === 'default' && key === 'factor' && source.factor === 1) continue;
    throw new Error(`"${where}.${key}" is not supported for rope_type "${ropeType}" (we would ignore it and compute different positions)`);
  }
  if (ropeType === 'default') return { ropeTheta, ropeScaling: null, style };
  const scalingRaw: Record<string, unknown> = { ...source };
  delete scalingRaw.rope_theta;
  delete scalingRaw.type;
  scalingRaw.rope_type = ropeType;
  return { ropeTheta, ropeScaling: { ropeType, factor: source.factor as number, raw: scalingRaw }, style };
}

/**
 * `layer_types` (transformers ≥ 4.53 writes it for Qwen2/Qwen3): one entry per layer. We run full
 * attention only, so every entry must be "full_attention"; a sliding layer would silently see too much.
 */
export function checkLayerTypes(raw: Record<string, unknown>, numLayers: number): void {
  const lt = raw.layer_types;
  if (lt == null) return;
  if (!Array.isArray(lt)) throw new Error(`"layer_types" must be a list, got ${JSON.stringify(lt)}`);
  if (lt.length !== numLayers) throw new Error(`"layer_types" has ${lt.length} entries but num_hidden_layers is ${numLayers}`);
  const other = lt.findIndex((t) => t !== 'full_attention');
  if (other >= 0) throw new Error(`"layer_types"[${other}] is ${JSON.stringify(lt[other])}; only "full_attention" layers are supported`);
}

/** Writes θ and scaling back in the spelling the file came with. */
export function writeRopeSettings(out: Record<string, unknown>, settings: RopeSettings): void {
  if (settings.style === 'v5') {
    delete out.rope_theta;
    delete out.rope_scaling;
    const scaling = settings.ropeScaling ? { ...settings.ropeScaling.raw } : { rope_type: 'default' };
    out.rope_parameters = { ...scaling, rope_theta: settings.ropeTheta };
    return;
  }
  out.rope_theta = settings.ropeTheta;
  out.rope_scaling = settings.ropeScaling ? settings.ropeScaling.raw : null;
}
