// Stage "ablation": the same GRPO budget from the same SFT model under several arms (config overrides of a
// base GRPO config, e.g. dynamic sampling, VAS, GPPO, SEC) and several seeds, then per-arm statistics over
// the seeds (ablation-summary.ts) written as ablation.json and ablation.md for the report.
//
//   ablation:
//     baseline: baseline            # the arm the others are compared with
//     seeds: [1, 2, 3]
//     grpo: { ...a GRPO run config; model / prompts / heldOut default to the earlier stages' outputs }
//     arms:
//       baseline: {}
//       gppo: { objective: { clip: { mode: gppo } } }   # merged into the base config, objects key by key
//
// Runs are named after the pipeline, arm, seed and stage hash, so a rerun resumes unfinished runs from
// their checkpoints and reads finished ones as they are.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspacePaths } from '../../store/index.ts';
import { loadTrainer, trainersUnavailable } from '../../train/registry.ts';
import { readMetrics } from '../../train/run/metrics-log.ts';
import { ablationMarkdown, summarizeAblation, type AblationRun } from '../ablation-summary.ts';
import { resolveReferences } from '../references.ts';
import { StageStoppedError, type CheckFinding, type StageDefinition } from '../stage.ts';
import { grpoStage } from './grpo.ts';
import { runStatus } from './trainer-stage.ts';

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` merged into `base`: nested objects key by key, anything else replaced. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  return out;
}

interface AblationSection {
  baseline: string;
  seeds: number[];
  grpo: Plain;
  arms: Record<string, Plain>;
}

const ARM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Validates the recipe's ablation section (shape only; each arm's GRPO config is checked by its schema). */
export function parseAblationSection(value: unknown): AblationSection {
  if (!isPlain(value)) throw new Error('ablation: expected a mapping with baseline, seeds, grpo and arms');
  const { baseline, seeds, grpo, arms, ...rest } = value;
  const problems: string[] = [];
  if (Object.keys(rest).length) problems.push(`unknown keys ${Object.keys(rest).join(', ')}`);
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isInteger(s) && s >= 0)) problems.push('seeds must be a non-empty list of non-negative integers');
  else if (new Set(seeds).size !== seeds.length) problems.push('seeds must not repeat');
  if (grpo !== undefined && !isPlain(grpo)) problems.push('grpo must be a GRPO run config (a mapping)');
  if (!isPlain(arms) || Object.keys(arms).length < 2) problems.push('arms must map at least two arm names to config overrides');
  else {
    for (const [name, over] of Object.entries(arms)) {
      if (!ARM_NAME.test(name)) problems.push(`arm name "${name}": use letters, digits, "_" and "-"`);
      if (over !== null && !isPlain(over)) problems.push(`arm ${name}: overrides must be a mapping ({} for none)`);
    }
    if (typeof baseline !== 'string' || !(baseline in arms)) problems.push(`baseline must name one of the arms (${Object.keys(arms).join(', ')})`);
  }
  if (problems.length) throw new Error(`ablation: ${problems.join('; ')}`);
  const armMap = Object.fromEntries(Object.entries(arms as Plain).map(([k, v]) => [k, (v ?? {}) as Plain]));
  return { baseline: baseline as string, seeds: seeds as number[], grpo: (grpo ?? {}) as Plain, arms: armMap };
}

/** Held-out evaluations and training shares from runs/<name>/metrics.jsonl. */
export function readAblationRun(runDir: string, arm: string, seed: number, run: string): AblationRun {
  const points = readMetrics(join(runDir, 'metrics.jsonl')).records;
  const evals = points
    .filter((p) => p.split === 'eval' && typeof p.accuracy === 'number')
    .map((p) => ({ step: p.step, accuracy: p.accuracy as number, lang: typeof p.lang === 'number' ? p.lang : NaN }));
  const train = points.filter((p) => p.split === 'train');
  const meanOf = (key: string) => {
    const xs = train.map((p) => p[key]).filter((v): v is number => typeof v === 'number');
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
  };
  return { arm, seed, run, evals, zeroVarianceShare: meanOf('zero_variance_share'), droppedShare: meanOf('dropped_share') };
}

export const ablationStage: StageDefinition = {
  name: 'ablation',
  unavailable: () => trainersUnavailable('grpo'),
  plan(ctx) {
    const section = parseAblationSection(resolveReferences((ctx.recipe.ablation ?? {}) as Plain, ctx.outputs, 'ablation'));
    // The base config gets the same defaults a grpo stage would (model from sft, prompts and held-out from data).
    const base = grpoStage.plan({ ...ctx, recipe: { ...ctx.recipe, grpo: section.grpo } });
    const baseConfig = (base as { config: Plain }).config;
    return { config: { baseline: section.baseline, seeds: section.seeds, arms: Object.fromEntries(Object.entries(section.arms).map(([arm, over]) => [arm, deepMerge(baseConfig, over)])) }, inputs: [] };
  },
  async run(plan, ctx) {
    const { baseline, seeds, arms } = plan.config as { baseline: string; seeds: number[]; arms: Record<string, Plain> };
    const grpo = await loadTrainer('grpo');
    const jobs = Object.entries(arms).flatMap(([arm, config]) => seeds.map((seed) => ({ arm, seed, config: { ...config, seed, name: `${ctx.recipe.name}-abl-${arm}-s${seed}-${ctx.runId}` } })));
    // Every arm's config is checked before the first run: a typo in the last arm should not cost the others' time.
    for (const job of jobs) {
      const parsed = grpo.schema.safeParse(job.config);
      if (!parsed.success) throw new Error(`ablation: arm ${job.arm} is not a valid GRPO config:\n${parsed.error.issues.map((i) => `  ✖ ablation.arms.${job.arm}.${i.path.join('.')}: ${i.message}`).join('\n')}`);
    }
    const runs: AblationRun[] = [];
    for (const [i, job] of jobs.entries()) {
      ctx.progress({ done: i, total: jobs.length, unit: 'runs' });
      const runDir = join(workspacePaths(ctx.workspace).runs, job.config.name);
      if (runStatus(ctx.workspace, job.config.name) !== 'finished') {
        ctx.log(`ablation: arm ${job.arm}, seed ${job.seed} (${i + 1}/${jobs.length})${existsSync(runDir) ? ', resuming' : ''}`);
        await grpo.train({ config: job.config, workspace: ctx.workspace, signal: ctx.signal, log: (line: string) => ctx.log(`  ${job.arm}/s${job.seed}: ${line}`) });
        if (ctx.signal.aborted || runStatus(ctx.workspace, job.config.name) === 'stopped') throw new StageStoppedError(`ablation stopped during arm ${job.arm}, seed ${job.seed}; run the pipeline again to resume`);
      }
      runs.push(readAblationRun(runDir, job.arm, job.seed, job.config.name));
    }
    ctx.progress({ done: jobs.length, total: jobs.length, unit: 'runs' });
    const summary = summarizeAblation(runs, baseline);
    mkdirSync(ctx.dir, { recursive: true });
    const json = join(ctx.dir, 'ablation.json');
    const markdown = join(ctx.dir, 'ablation.md');
    writeFileSync(json, JSON.stringify({ summary, runs }, null, 2) + '\n');
    writeFileSync(markdown, ablationMarkdown(summary));
    for (const a of summary.arms) ctx.log(`ablation: ${a.verdict}`);
    const short = Object.fromEntries(summary.arms.map((a) => [`${a.arm}_accuracy`, Number(a.accuracy.mean.toFixed(4))]));
    return { outputs: { output: json, report: markdown }, summary: short, links: runs.map((r) => ({ page: 'train', id: r.run })) };
  },
  async check(ctx) {
    const findings: CheckFinding[] = [];
    try {
      const section = parseAblationSection(ctx.recipe.ablation);
      const runs = Object.keys(section.arms).length * section.seeds.length;
      findings.push({ stage: 'ablation', level: 'info', message: `ablation: ${Object.keys(section.arms).length} arms × ${section.seeds.length} seeds = ${runs} GRPO runs` });
    } catch (error) {
      findings.push({ stage: 'ablation', level: 'error', message: (error as Error).message });
    }
    return findings;
  },
};
