// `${stage.key}` references between stage configs: `model: ${sft.output}` means "the folder the sft stage
// wrote". A string that is exactly one reference becomes the referenced value (any type); a reference
// inside a longer string is substituted as text. `$${` escapes a literal `${`.
import { STAGE_ORDER, type StageName } from './stage-names.ts';

/** What each stage publishes for later stages (documented names; the runner fills them). */
export const STAGE_OUTPUT_KEYS: Record<StageName, readonly string[]> = {
  model: ['output'],
  data: ['output', 'train', 'prompts', 'heldout'],
  sft: ['output', 'run'],
  pairs: ['output'],
  rewardModel: ['output', 'run'],
  grpo: ['output', 'run'],
  ablation: ['output', 'report'],
  alignment: ['output', 'report'],
  eval: ['output'],
  report: ['output', 'html', 'markdown'],
};

const REFERENCE = /\$\{\s*([A-Za-z]+)\.([A-Za-z]+)\s*\}/g;

export interface Reference {
  stage: string;
  key: string;
  /** Where in the config it appears ("sft.model"). */
  at: string;
}

/** Every reference in a config (walks objects and arrays). */
export function findReferences(value: unknown, at: string): Reference[] {
  const found: Reference[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      for (const m of v.replace(/\$\$\{/g, '').matchAll(REFERENCE)) found.push({ stage: m[1], key: m[2], at: path });
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, `${path}.${k}`);
  };
  walk(value, at);
  return found;
}

/** Problems with the references of stage `stage`: unknown stages or keys, stages not in the recipe, or not earlier. */
export function referenceProblems(stage: StageName, config: unknown, present: readonly StageName[]): string[] {
  const problems: string[] = [];
  const position = STAGE_ORDER.indexOf(stage);
  for (const ref of findReferences(config, stage)) {
    const text = `\${${ref.stage}.${ref.key}}`;
    if (!(STAGE_ORDER as readonly string[]).includes(ref.stage)) {
      problems.push(`${ref.at}: ${text} names no stage (stages: ${STAGE_ORDER.join(', ')})`);
      continue;
    }
    const target = ref.stage as StageName;
    if (!STAGE_OUTPUT_KEYS[target].includes(ref.key)) problems.push(`${ref.at}: ${text}: stage ${target} has no output "${ref.key}" (it has ${STAGE_OUTPUT_KEYS[target].join(', ')})`);
    else if (!present.includes(target)) problems.push(`${ref.at}: ${text} refers to stage ${target}, which this recipe does not have`);
    else if (STAGE_ORDER.indexOf(target) >= position) problems.push(`${ref.at}: ${text} refers to stage ${target}, which runs after ${stage}`);
  }
  return problems;
}

export type StageOutputs = Partial<Record<StageName, Record<string, unknown>>>;

/** A copy of `value` with every reference replaced by the outputs of finished stages. */
export function resolveReferences<T>(value: T, outputs: StageOutputs, at = 'config'): T {
  const lookup = (stage: string, key: string, path: string): unknown => {
    const published = outputs[stage as StageName];
    if (!published || !(key in published)) throw new Error(`${path}: \${${stage}.${key}} is not available: stage ${stage} has not produced "${key}"`);
    return published[key];
  };
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      const whole = /^\$\{\s*([A-Za-z]+)\.([A-Za-z]+)\s*\}$/.exec(v);
      if (whole) return lookup(whole[1], whole[2], path);
      const parts = v.split('$${');
      return parts.map((part) => part.replace(REFERENCE, (_m, s: string, k: string) => String(lookup(s, k, path)))).join('${');
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, `${path}.${k}`)]));
    return v;
  };
  return walk(value, at) as T;
}
