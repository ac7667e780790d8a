// The three training stages (sft, rewardModel, grpo) share one shape: the recipe's section is the trainer's
// own run config; the pipeline fills the inputs the section leaves out from earlier stages, names the run
// after the pipeline and the stage hash (the same config → the same run folder, which the trainer resumes
// from its checkpoints), and reads the run's final status. The trainers come from the typed registry
// (train/registry.ts) by kind, each behind the one trainer contract: schema, memory shape, train().
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelConfig, type ModelConfig } from '../../models/config.ts';
import { formatBytes } from '../../models/memory.ts';
import { Tokenizer, bundledQwenTokenizerDir } from '../../models/tokenizer.ts';
import { workspacePaths } from '../../store/index.ts';
import { loadTrainer, type Trainer, type TrainerKind } from '../../train/registry.ts';
import { describeShape, trainingMemoryBytes, type TrainingShape } from '../../train/shared/memory.ts';
import { arithmeticAlphabet, compactVocabSize } from '../../train/tasks/index.ts';
import { workspacePath } from '../fingerprint.ts';
import { knownModelConfig } from '../known-models.ts';
import { locateModel } from '../locate.ts';
import { resolveReferences, findReferences } from '../references.ts';
import type { PipelineRecipe } from '../recipe.ts';
import { StageStoppedError, StageUnavailableError, type CheckContext, type CheckFinding, type PlanContext, type StageContext, type StageDefinition, type StagePlan } from '../stage.ts';
import type { StageName } from '../stage-names.ts';
import { madeModelConfig } from './model.ts';

export interface TrainerStageSpec {
  name: Extract<StageName, 'sft' | 'rewardModel' | 'grpo'>;
  /** The trainer's kind (the registry's key), also the short name used in run names and page links. */
  short: TrainerKind;
  /** The run config has a `workspace` field (the pipeline fills it). */
  workspaceField: boolean;
  /** Inputs the section may leave out, from earlier stages' outputs. */
  defaults(ctx: PlanContext): Record<string, unknown>;
  /** The stage's summary from the trainer's (default: its numbers and strings as they are). */
  summarize?(summary: Record<string, unknown>): Record<string, unknown>;
}

/** The model a stage trains from: the latest model-producing stage before it, by recipe order. */
export function previousModel(outputs: PlanContext['outputs'], order: readonly StageName[]): string | undefined {
  for (const stage of order) {
    const output = outputs[stage]?.output;
    if (typeof output === 'string') return output;
  }
  return undefined;
}

function sectionOf(recipe: PipelineRecipe, name: TrainerStageSpec['name']): Record<string, unknown> {
  return (recipe[name] ?? {}) as Record<string, unknown>;
}

/** The defaults under the section: a key the section sets replaces the default whole (no deep merge). */
function withDefaults(defaults: Record<string, unknown>, section: Record<string, unknown>): Record<string, unknown> {
  return { ...defaults, ...section };
}

/** The status in runs/<run>/run.json, or null when there is none (or it cannot be read). */
export function runStatus(workspace: string, run: string): string | null {
  const file = join(workspacePaths(workspace).runs, run, 'run.json');
  if (!existsSync(file)) return null;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { status?: string }).status ?? null;
  } catch {
    return null;
  }
}

/** The model config a recipe's model stage gives, for memory estimates before anything runs. */
export function recipeModelConfig(recipe: PipelineRecipe, workspace: string): ModelConfig | null {
  const stage = recipe.model;
  if (!stage) return null;
  try {
    if ('make' in stage) {
      const tokenizer = stage.make.tokenizer === 'compact' ? null : Tokenizer.load(stage.make.tokenizer === 'qwen' ? bundledQwenTokenizerDir() : workspacePath(workspace, stage.make.tokenizer));
      if (tokenizer) return madeModelConfig(stage.make, tokenizer);
      const vocabSize = compactVocabSize(arithmeticAlphabet() + (stage.make.extraCharacters ?? ''));
      return madeModelConfig(stage.make, { vocabSize, eosTokenId: 2, bosTokenId: null, padTokenId: 0, tokenToId: () => 0 } as unknown as Tokenizer);
    }
    if ('path' in stage) return loadModelConfig(workspacePath(workspace, stage.path));
    const dir = locateModel(workspace, stage.hub);
    return dir ? loadModelConfig(dir) : knownModelConfig(stage.hub);
  } catch {
    return null;
  }
}

/** The section with every reference replaced by a placeholder path, for schema checks before running. */
function withPlaceholders(section: Record<string, unknown>, stage: string): Record<string, unknown> {
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const ref of findReferences(section, stage)) (outputs[ref.stage] ??= {})[ref.key] = `/pending/${ref.stage}/${ref.key}`;
  return resolveReferences(section, outputs);
}

/** The stage's trainer, or StageUnavailableError saying why it cannot be loaded. */
async function trainerOf(spec: TrainerStageSpec): Promise<Trainer> {
  try {
    return await loadTrainer(spec.short);
  } catch (error) {
    throw new StageUnavailableError(`not available: the ${spec.short} trainer failed to load (${(error as Error).message})`);
  }
}

/**
 * The memory shape of a config. A field the schema refuses (reported as an error beside the estimate) is
 * planned at its default: the top-level keys with issues are left out and the rest parsed again. Null when
 * even that is not a valid config.
 */
function shapeOf(trainer: Trainer, config: Record<string, unknown>): TrainingShape | null {
  const parsed = trainer.schema.safeParse(config);
  const bad = parsed.success ? new Set<string>() : new Set(parsed.error.issues.map((i) => String(i.path[0])));
  try {
    return trainer.memoryShape(Object.fromEntries(Object.entries(config).filter(([k]) => !bad.has(k))));
  } catch {
    return null;
  }
}

export function trainerStage(spec: TrainerStageSpec): StageDefinition {
  return {
    name: spec.name,
    async unavailable() {
      try {
        await trainerOf(spec);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
    plan(ctx): StagePlan {
      const section = resolveReferences(sectionOf(ctx.recipe, spec.name), ctx.outputs, spec.name);
      const config = withDefaults({ ...spec.defaults(ctx), seed: ctx.recipe.seed, provider: ctx.recipe.provider }, section);
      delete config.name;
      delete config.workspace;
      return { config, inputs: [] };
    },
    async run(plan, ctx: StageContext) {
      const trainer = await trainerOf(spec);
      const run = `${ctx.recipe.name}-${spec.short}-${ctx.runId}`;
      const config = { ...plan.config, name: run, ...(spec.workspaceField ? { workspace: ctx.workspace } : {}) };
      const parsed = trainer.schema.safeParse(config);
      if (!parsed.success) throw new Error(`${spec.name}: the stage config is not a valid ${spec.short} run config:\n${parsed.error.issues.map((i) => `  ✖ ${[spec.name, ...i.path].join('.')}: ${i.message}`).join('\n')}`);
      const runDir = join(workspacePaths(ctx.workspace).runs, run);
      const resume = existsSync(join(runDir, 'run.json'));
      if (resume) ctx.log(`${spec.name}: resuming run ${run} from its last checkpoint`);
      const result = await trainer.train({
        config,
        workspace: ctx.workspace,
        signal: ctx.signal,
        log: ctx.log,
        resume,
        onStep: (s) => ctx.progress({ done: s.step, total: s.totalSteps, unit: 'steps' }),
      });
      if (result.status === 'stopped' || ctx.signal.aborted) throw new StageStoppedError(`${spec.name} stopped at a checkpoint of run ${result.run}; run the pipeline again to resume`);
      if (!result.output || !existsSync(result.output)) throw new Error(`${spec.name}: run ${result.run} finished without an output folder`);
      // The trainer's own summary object (what its entry always returned), numbers and strings only.
      const details = (result.details ?? {}) as Record<string, unknown>;
      const summary = Object.fromEntries(Object.entries(spec.summarize ? spec.summarize(details) : details).filter(([, v]) => typeof v === 'number' || typeof v === 'string'));
      return { outputs: { output: result.output, run: result.run }, summary, links: [{ page: spec.short === 'rm' ? 'reward-model' : 'train', id: result.run }] };
    },
    async check(ctx: CheckContext) {
      const findings: CheckFinding[] = [];
      const section = withPlaceholders(sectionOf(ctx.recipe, spec.name), spec.name);
      const defaults = spec.defaults({ workspace: ctx.workspace, recipe: ctx.recipe, outputs: placeholderOutputs(ctx.recipe) });
      const config = withDefaults({ ...defaults, seed: ctx.recipe.seed, provider: ctx.recipe.provider, name: `${ctx.recipe.name}-${spec.short}` }, section);
      let trainer: Trainer | null = null;
      try {
        trainer = await trainerOf(spec);
        const parsed = trainer.schema.safeParse(config);
        if (!parsed.success) for (const issue of parsed.error.issues) findings.push({ stage: spec.name, level: 'error', message: `${[spec.name, ...issue.path].join('.')}: ${issue.message}` });
      } catch (error) {
        findings.push({ stage: spec.name, level: 'error', message: `${spec.name}: ${(error as Error).message}` });
      }
      const model = recipeModelConfig(ctx.recipe, ctx.workspace);
      const shape = trainer ? shapeOf(trainer, config) : null;
      if (model && shape) {
        // The planner (models/memory-plan.ts) on the device the recipe asks for; 'auto' plans for the CPU.
        const device = ctx.recipe.provider === 'cuda' || ctx.recipe.provider === 'webgpu' ? ctx.recipe.provider : 'cpu';
        const bytes = trainingMemoryBytes(model, shape, device);
        const limit = ctx.recipe.memoryGiB;
        const what = `${describeShape(shape)}, on ${device}`;
        if (limit !== undefined && bytes > limit * 2 ** 30) findings.push({ stage: spec.name, level: 'error', memoryBytes: bytes, message: `${spec.name}: needs about ${formatBytes(bytes)} (${what}), more than memoryGiB ${limit}: lower the batch or sequence length, or use LoRA` });
        else findings.push({ stage: spec.name, level: 'info', memoryBytes: bytes, message: `${spec.name}: about ${formatBytes(bytes)} of training memory (${what})` });
      }
      return findings;
    },
  };
}

/** Outputs as placeholder paths for every stage the recipe has (check runs before anything exists). */
export function placeholderOutputs(recipe: PipelineRecipe): PlanContext['outputs'] {
  const outputs: PlanContext['outputs'] = {};
  const keys = ['output', 'train', 'prompts', 'heldout', 'run'];
  for (const stage of ['model', 'data', 'sft', 'pairs', 'rewardModel', 'grpo'] as const) {
    if (recipe[stage] === undefined) continue;
    const published = Object.fromEntries(keys.map((k) => [k, `/pending/${stage}/${k}`]));
    if (stage === 'data' && 'task' in recipe.data! && recipe.data.prompts === 0) delete published.prompts;
    outputs[stage] = published;
  }
  return outputs;
}
