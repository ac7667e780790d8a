// Stage "alignment": seed 001's comparison of tuning strategies before RL. From one start model (by default
// the previous stage's: a model that reasons, but not in Korean), every arm is tuned on the same Korean
// self-correction code-switching data (main/data/selfcorrect) with its own method, then trained with the
// same GRPO config, and evaluated on the held-out split before and after RL:
//
//   alignment:
//     selfcorrect: { kinds: { english-start: 0.4, drift: 0.3, mistake: 0.3 }, plainShare: 0.5 }
//     neurons: { layers: [0], method: lape, topShare: 0.05 }        # discovery on the start model
//     sft:  { ...an SFT run config shared by the arms (model and data are filled in) }
//     grpo: { ...a GRPO run config shared by the arms (model, prompts, heldOut filled in) }
//     arms:                                                           # default: these four
//       full:    { method: { kind: full } }
//       lora:    { method: { kind: lora, r: 8, alpha: 16 } }
//       neurons: { method: { kind: selective, neurons: discovered } } # the discovered selection
//       random:  { method: { kind: selective, neurons: random } }     # the same count per layer, at random
//     eval: { maxNewTokens: 112 }
//
// Writes alignment.json (per arm: method, seed, selection file, runs, accuracy and Korean share of the
// thinking before and after RL) and alignment.md (the paper's table shape) for the report. Runs are named
// after the pipeline, arm and stage hash: a rerun reads finished runs and resumes unfinished ones.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { selfCorrectRows } from '../../data/selfcorrect/index.ts';
import { loadModel, saveModel } from '../../models/weights.ts';
import { mergeLoraAdapter, readLoraAdapter } from '../../models/peft.ts';
import { Tokenizer } from '../../models/tokenizer.ts';
import { discoverNeurons } from '../../models/neurons/discover.ts';
import { randomSelectionLike, selectionOverlap, type NeuronSelection } from '../../models/neurons/selection-file.ts';
import { splitThinking } from '../../rewards/think-split.ts';
import { detectLanguage } from '../../rewards/language/consistency.ts';
import { openWorkspace, workspacePaths } from '../../store/index.ts';
import { loadTrainer, trainersUnavailable, type Trainer } from '../../train/registry.ts';
import { alignmentHtml, alignmentMarkdown, type AlignmentResults, type ArmResult, type Scores } from '../alignment-report.ts';
import { resolveReferences } from '../references.ts';
import { StageStoppedError, type CheckFinding, type StageContext, type StageDefinition } from '../stage.ts';
import { loadArea } from './modules.ts';
import { previousModel } from './trainer-stage.ts';

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` merged into `base`: nested mappings key by key, anything else replaced. */
function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k] as Plain, v) : v;
  return out;
}

export const DEFAULT_ARMS: Record<string, Plain> = {
  full: { method: { kind: 'full' } },
  lora: { method: { kind: 'lora', r: 8, alpha: 16 } },
  neurons: { method: { kind: 'selective', neurons: 'discovered' } },
  random: { method: { kind: 'selective', neurons: 'random' } },
};

export const alignmentSectionSchema = z.strictObject({
  /** Start model (default: the previous model-producing stage's output). */
  model: z.string().min(1).optional(),
  seed: z.int().min(0).optional(),
  selfcorrect: z
    .strictObject({
      kinds: z.record(z.string(), z.number().min(0)).optional(),
      plainShare: z.number().min(0).lt(1).default(0),
      /** Use at most this many training rows. */
      limit: z.int().positive().optional(),
    })
    .default({ plainShare: 0 }),
  neurons: z
    .strictObject({
      layers: z.array(z.int().min(0)).min(1).optional(),
      method: z.enum(['lape', 'contrast']).default('lape'),
      topK: z.int().positive().optional(),
      topShare: z.number().gt(0).max(1).optional(),
      /** Texts per language for discovery (lines of the self-correction traces, by detected language). */
      maxTexts: z.int().positive().default(400),
    })
    .default({ method: 'lape', maxTexts: 400 }),
  sft: z.record(z.string(), z.unknown()).default({}),
  grpo: z.record(z.string(), z.unknown()).default({}),
  arms: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'arm names: letters, digits, "_" and "-"'), z.record(z.string(), z.unknown())).optional(),
  eval: z
    .strictObject({ maxNewTokens: z.int().positive().default(512), k: z.int().positive().default(1), temperature: z.number().min(0).default(0), batchSize: z.int().positive().optional() })
    .default({ maxNewTokens: 512, k: 1, temperature: 0 }),
});
export type AlignmentSection = z.infer<typeof alignmentSectionSchema>;

function parseSection(value: unknown): AlignmentSection {
  const parsed = alignmentSectionSchema.safeParse(value ?? {});
  if (!parsed.success) throw new Error(`alignment: ${parsed.error.issues.map((i) => `alignment.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function runStatus(runDir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status?: string }).status ?? null;
  } catch {
    return null;
  }
}

/** Rows of a JSONL path or a workspace dataset. */
async function readRows(ref: string, workspace: string): Promise<Plain[]> {
  if (existsSync(ref)) return readFileSync(ref, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Plain);
  const ws = await openWorkspace(workspace);
  try {
    const rows: Plain[] = [];
    for await (const batch of ws.datasets.jsonBatches(ref)) for (const t of batch) rows.push(JSON.parse(t) as Plain);
    return rows;
  } finally {
    await ws.close();
  }
}

const assistantOf = (row: Plain) => ((row.messages as { role: string; content: string }[]).find((m) => m.role === 'assistant')?.content ?? '');

/** Lines of the traces' thinking, by detected language (discovery compares Korean with English). */
function textsByLanguage(rows: readonly Plain[], max: number): { ko: string[]; en: string[] } {
  const out = { ko: [] as string[], en: [] as string[] };
  for (const row of rows) {
    for (const line of splitThinking(assistantOf(row)).thinking.split('\n')) {
      const lang = detectLanguage(line);
      if ((lang === 'ko' || lang === 'en') && out[lang].length < max) out[lang].push(line);
    }
  }
  return out;
}

/** A PEFT adapter becomes a full model folder (every arm then goes into GRPO the same way). */
function materialize(output: string, base: string, dir: string): string {
  if (!existsSync(join(output, 'adapter_config.json'))) return output;
  if (existsSync(join(dir, 'config.json'))) return dir;
  const model = loadModel(base);
  saveModel(dir, { ...model, weights: mergeLoraAdapter(model.weights, readLoraAdapter(output)) }, { tokenizerDir: base });
  return dir;
}

async function trainOnce(trainer: Trainer, config: Plain & { name: string }, ctx: StageContext, label: string): Promise<string> {
  const runDir = join(workspacePaths(ctx.workspace).runs, config.name);
  if (runStatus(runDir) === 'finished') return join(runDir, 'output');
  const resume = existsSync(join(runDir, 'run.json'));
  ctx.log(`alignment: ${label}${resume ? ' (resuming)' : ''}`);
  const result = await trainer.train({ config, workspace: ctx.workspace, signal: ctx.signal, resume, log: (line: string) => ctx.log(`  ${label}: ${line}`) });
  if (ctx.signal.aborted || runStatus(runDir) === 'stopped') throw new StageStoppedError(`alignment stopped during ${label}; run the pipeline again to resume`);
  if (!result.output || !existsSync(result.output)) throw new Error(`alignment: ${label} (run ${result.run}) finished without an output folder`);
  return result.output;
}

export const alignmentStage: StageDefinition = {
  name: 'alignment',
  async unavailable() {
    try {
      const trainers = await trainersUnavailable('sft', 'grpo');
      if (trainers) return trainers;
      await loadArea('eval', ['runEvaluation']);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  },
  plan(ctx) {
    const section = parseSection(resolveReferences(((ctx.recipe as Plain).alignment ?? {}) as Plain, ctx.outputs, 'alignment'));
    const model = section.model ?? previousModel(ctx.outputs, ['sft', 'model']);
    const data = ctx.outputs.data ?? {};
    for (const [key, value] of [['model', model], ['data.train', data.train], ['data.prompts', data.prompts], ['data.heldout', data.heldout]] as const) {
      if (typeof value !== 'string') throw new Error(`alignment: needs ${key} (a model stage or alignment.model, and a data stage with train, prompts and heldout splits)`);
    }
    const config = {
      ...section,
      model,
      seed: section.seed ?? ctx.recipe.seed,
      provider: ctx.recipe.provider,
      train: data.train,
      prompts: data.prompts,
      heldout: data.heldout,
      arms: section.arms ?? DEFAULT_ARMS,
    };
    return { config, inputs: [model as string, data.train as string, data.prompts as string, data.heldout as string].filter((p) => existsSync(p)) };
  },
  async run(plan, ctx) {
    const c = plan.config as AlignmentSection & { model: string; seed: number; provider: string; train: string; prompts: string; heldout: string; arms: Record<string, Plain> };
    const [sftTrainer, grpoTrainer] = await Promise.all([loadTrainer('sft'), loadTrainer('grpo')]);
    const { runEvaluation } = await loadArea<{ runEvaluation: (o: Plain) => Promise<{ pass1: number; lang: { meanTargetShare: number; targetShare: number } }> }>('eval', ['runEvaluation']);
    mkdirSync(ctx.dir, { recursive: true });

    // 1. The self-correction SFT data, written once for every arm.
    const source = await readRows(c.train, ctx.workspace);
    const { rows, stats } = await selfCorrectRows(c.selfcorrect.limit ? source.slice(0, c.selfcorrect.limit) : source, { kinds: c.selfcorrect.kinds, plainShare: c.selfcorrect.plainShare, seed: c.seed, signal: ctx.signal });
    if (rows.length === 0) throw new Error(`alignment: no self-correction traces from ${c.train} (${stats.dropped.needsTeacher} rows are not the arithmetic task; build them with \`saenggak data selfcorrect --teacher …\` and give them as data.train)`);
    const sftData = join(ctx.dir, 'selfcorrect.jsonl');
    writeFileSync(sftData, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    ctx.log(`alignment: ${rows.length} self-correction traces (${Object.entries(stats.perKind).map(([k, n]) => `${k} ${n}`).join(', ')})`);

    // 2. Language neurons of the start model, and a random control of the same shape.
    const selections: Record<'discovered' | 'random', { selection: NeuronSelection; path: string } | null> = { discovered: null, random: null };
    const needs = (kind: string) => Object.values(c.arms).some((arm) => isPlain(arm.method) && (arm.method as Plain).neurons === kind);
    let methods: AlignmentResults['neurons'] = null;
    if (needs('discovered') || needs('random')) {
      const texts = textsByLanguage(rows, c.neurons.maxTexts);
      const model = loadModel(c.model);
      // The recipe's method picks the arm's neurons; the other method runs too, so the report (and the
      // Neurons page) can show how far the two agree on this model.
      const discover = async (method: 'lape' | 'contrast', path: string): Promise<NeuronSelection> => {
        if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as NeuronSelection;
        const { selection } = await discoverNeurons({
          config: model.config,
          weights: model.weights,
          tokenizer: Tokenizer.load(c.model),
          model: c.model,
          languages: [{ lang: 'ko', texts: texts.ko }, { lang: 'en', texts: texts.en }],
          layers: c.neurons.layers,
          method,
          topK: c.neurons.topK,
          topShare: c.neurons.topK === undefined ? (c.neurons.topShare ?? 0.05) : undefined,
          signal: ctx.signal,
          log: ctx.log,
        });
        writeFileSync(path, JSON.stringify(selection, null, 1) + '\n');
        return selection;
      };
      const discoveredPath = join(ctx.dir, 'neurons-discovered.json');
      const discovered = await discover(c.neurons.method, discoveredPath);
      const other = c.neurons.method === 'lape' ? 'contrast' : 'lape';
      const otherPath = join(ctx.dir, `neurons-${other}.json`);
      const overlap = selectionOverlap(discovered, await discover(other, otherPath));
      methods = { method: c.neurons.method, other, otherSelection: otherPath, shared: overlap.shared, jaccard: overlap.jaccard };
      ctx.log(`alignment: ${c.neurons.method} and ${other} share ${overlap.shared} neurons (Jaccard ${overlap.jaccard.toFixed(3)})`);
      selections.discovered = { selection: discovered, path: discoveredPath };
      const randomPath = join(ctx.dir, 'neurons-random.json');
      const random = randomSelectionLike(discovered, model.config.intermediateSize, c.seed);
      writeFileSync(randomPath, JSON.stringify(random, null, 1) + '\n');
      selections.random = { selection: random, path: randomPath };
    }

    // 3. Per arm: SFT on the traces → the same GRPO → held-out evaluation before and after RL.
    const evaluate = async (model: string, base: string | undefined, label: string): Promise<Scores> => {
      const summary = await runEvaluation({
        model,
        ...(base ? { base } : {}),
        benchmark: { source: c.heldout, name: 'heldout', lang: 'ko', columns: { problem: 'prompt', answer: 'answer', id: 'id' } },
        workspace: ctx.workspace,
        name: `${ctx.recipe.name}-align-${ctx.runId}-${label}`,
        k: c.eval.k,
        temperature: c.eval.temperature,
        maxNewTokens: c.eval.maxNewTokens,
        seed: c.seed,
        batchSize: c.eval.batchSize,
        provider: c.provider === 'auto' ? undefined : c.provider,
        signal: ctx.signal,
      });
      if (ctx.signal.aborted) throw new StageStoppedError('alignment stopped during evaluation; run the pipeline again to resume');
      return { accuracy: summary.pass1, korean: summary.lang.meanTargetShare };
    };
    const arms = Object.entries(c.arms);
    const total = arms.length * 2 + 1;
    let done = 0;
    const step = () => ctx.progress({ done: ++done, total, unit: 'runs' });
    const start = await evaluate(c.model, undefined, 'start');
    ctx.log(`alignment: start model: accuracy ${(100 * start.accuracy).toFixed(1)}%, Korean ${(100 * start.korean).toFixed(1)}%`);
    step();
    // Every arm's SFT and GRPO config is built and checked before the first run: a typo in the last arm
    // should not cost the others' time.
    const [sftConfigSchema, grpoConfigSchema] = [sftTrainer.schema, grpoTrainer.schema];
    const issues = (schema: z.ZodType, config: Plain, at: string) => {
      const parsed = schema.safeParse(config);
      return parsed.success ? [] : parsed.error.issues.map((i) => `  ✖ ${at}.${i.path.join('.')}: ${i.message}`);
    };
    const plans = arms.map(([arm, over]) => {
      const method = { ...((over.method ?? {}) as Plain) };
      let selection: string | null = null;
      let selected: number | null = null;
      if (method.neurons === 'discovered' || method.neurons === 'random') {
        const chosen = selections[method.neurons]!;
        method.neurons = chosen.selection;
        selection = chosen.path;
        selected = chosen.selection.layers.reduce((n, l) => n + l.neurons.length, 0);
      }
      const { method: _armMethod, ...armRest } = over;
      // The arm's method replaces the shared one whole; other keys merge (e.g. an arm's own learningRate).
      const sft = { ...merge(c.sft, armRest), method, model: c.model, data: sftData, name: `${ctx.recipe.name}-align-${arm}-sft-${ctx.runId}`, workspace: ctx.workspace, seed: c.seed, provider: c.provider };
      const grpo = { ...c.grpo, prompts: { path: c.prompts }, heldOut: { path: c.heldout }, name: `${ctx.recipe.name}-align-${arm}-grpo-${ctx.runId}`, seed: c.seed, provider: c.provider };
      return { arm, method, selection, selected, sft, grpo };
    });
    const problems = plans.flatMap((p) => [...issues(sftConfigSchema, p.sft, `alignment.arms.${p.arm} (SFT)`), ...issues(grpoConfigSchema, { ...p.grpo, model: c.model }, `alignment.grpo (arm ${p.arm})`)]);
    if (problems.length) throw new Error(`alignment: invalid arm configs:\n${problems.join('\n')}`);

    const results: ArmResult[] = [];
    for (const { arm, method, selection, selected, sft, grpo } of plans) {
      const sftOut = await trainOnce(sftTrainer, sft, ctx, `${arm} SFT`);
      const tuned = materialize(sftOut, c.model, join(ctx.dir, 'arms', arm, 'merged'));
      step();
      const grpoOut = await trainOnce(grpoTrainer, { ...grpo, model: tuned }, ctx, `${arm} GRPO`);
      const before = await evaluate(tuned, undefined, `${arm}-sft`);
      const after = await evaluate(grpoOut, existsSync(join(grpoOut, 'adapter_config.json')) ? tuned : undefined, `${arm}-grpo`);
      step();
      results.push({ arm, method: String(method.kind), seed: c.seed, selection, selected, sftRun: sft.name, grpoRun: grpo.name, before, after });
      ctx.log(`alignment: ${arm}: accuracy ${(100 * before.accuracy).toFixed(1)}% → ${(100 * after.accuracy).toFixed(1)}%, Korean ${(100 * before.korean).toFixed(1)}% → ${(100 * after.korean).toFixed(1)}%`);
    }
    const out: AlignmentResults = { start: { model: c.model, scores: start }, selfcorrect: { rows: rows.length, perKind: stats.perKind }, neurons: methods, arms: results };
    const json = join(ctx.dir, 'alignment.json');
    const markdown = join(ctx.dir, 'alignment.md');
    writeFileSync(json, JSON.stringify(out, null, 2) + '\n');
    writeFileSync(markdown, alignmentMarkdown(out));
    writeFileSync(join(ctx.dir, 'alignment.html'), alignmentHtml(out));
    const summary = Object.fromEntries(results.flatMap((r) => [[`${r.arm}_before`, Number(r.before.accuracy.toFixed(4))], [`${r.arm}_after`, Number(r.after.accuracy.toFixed(4))]]));
    return { outputs: { output: json, report: markdown }, summary, links: results.flatMap((r) => [{ page: 'train', id: r.sftRun }, { page: 'train', id: r.grpoRun }]) };
  },
  async check(ctx) {
    const findings: CheckFinding[] = [];
    try {
      const section = parseSection((ctx.recipe as Plain).alignment);
      const arms = Object.keys(section.arms ?? DEFAULT_ARMS);
      findings.push({ stage: 'alignment', level: 'info', message: `alignment: ${arms.length} arms (${arms.join(', ')}), each SFT on self-correction traces → GRPO → evaluation` });
    } catch (error) {
      findings.push({ stage: 'alignment', level: 'error', message: (error as Error).message });
    }
    return findings;
  },
};
