// Stage "pairs": preference pairs for the reward model. Either a pairs build (main/pairs: generators,
// scorers, re-centring, set constructions) or, for the demo, `task: korean-arithmetic`: pairs from the
// programmatic teacher where the chosen response thinks in Korean and is right, and the rejected one
// thinks in English or ends in a wrong answer (a preference no base model can know).
//
// `wrongAnswer` picks what a wrong rejected response looks like. 'working' keeps the teacher's steps and
// changes the last result: telling it apart means doing the arithmetic, which the demo's two-layer reward
// model cannot (measured: held-out pair accuracy 0.5–0.6 after 30 steps). 'hasty' is the habit the demo's
// GRPO removes — no working, one line, a wrong result — which a tiny reward model learns in a few steps.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Rng } from '../../engine/rng.ts';
import { openWorkspace } from '../../store/index.ts';
import { arithmeticProblems } from '../../train/tasks/index.ts';
import type { CheckFinding, StageDefinition } from '../stage.ts';
import { resolveReferences } from '../references.ts';
import { loadArea } from './modules.ts';

export const syntheticPairsSchema = z.strictObject({
  task: z.literal('korean-arithmetic'),
  count: z.int().positive().default(200),
  steps: z.int().min(1).max(6).default(2),
  /** Share of rejected responses that think in English (the rest end in a wrong answer). */
  englishShare: z.number().min(0).max(1).default(0.5),
  /** A wrong rejected response: the teacher's working with a wrong last result, or a hasty wrong line. */
  wrongAnswer: z.enum(['working', 'hasty']).default('working'),
  seed: z.int().min(0).default(7),
});

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  category: string;
  lang: string;
  reason: 'english_thinking' | 'wrong_answer';
}

/** Pairs from the arithmetic teacher (deterministic in seed). */
export function arithmeticPairs(options: z.output<typeof syntheticPairsSchema>): PreferencePair[] {
  // Same seed → the same problems; only the teacher's thinking language differs between the two lists.
  const korean = arithmeticProblems({ count: options.count, seed: options.seed, steps: options.steps, englishThinkingShare: 0 });
  const english = arithmeticProblems({ count: options.count, seed: options.seed, steps: options.steps, englishThinkingShare: 1 });
  const rng = new Rng(options.seed + 1);
  return korean.map((p, i) => {
    if (rng.uniform() < options.englishShare) return { prompt: p.prompt, chosen: p.response, rejected: english[i].response, category: 'reasoning', lang: 'ko', reason: 'english_thinking' };
    const wrong = p.answer + 1 + rng.int(3);
    if (options.wrongAnswer === 'hasty') return { prompt: p.prompt, chosen: p.response, rejected: `<think>\n바로 계산하면 ${wrong}입니다.\n</think>\n\n답은 \\boxed{${wrong}}입니다.`, category: 'reasoning', lang: 'ko', reason: 'wrong_answer' };
    const at = p.response.lastIndexOf(`${p.answer}입니다.\n</think>`);
    const thinking = at >= 0 ? `${p.response.slice(0, at)}${wrong}입니다.\n</think>` : p.response.slice(0, p.response.indexOf('</think>') + 8);
    return { prompt: p.prompt, chosen: p.response, rejected: `${thinking}\n\n답은 \\boxed{${wrong}}입니다.`, category: 'reasoning', lang: 'ko', reason: 'wrong_answer' };
  });
}

export const pairsStage: StageDefinition = {
  name: 'pairs',
  async unavailable(recipe) {
    if (recipe.pairs?.task !== undefined) return null;
    try {
      await loadArea('pairs', ['runPairsBuild', 'parsePairsRecipe']);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  },
  plan({ recipe, outputs }) {
    return { config: resolveReferences(recipe.pairs ?? {}, outputs, 'pairs'), inputs: [] };
  },
  async run(plan, ctx) {
    if (plan.config.task !== undefined) {
      const options = syntheticPairsSchema.parse(plan.config);
      const pairs = arithmeticPairs(options);
      mkdirSync(ctx.dir, { recursive: true });
      const path = join(ctx.dir, 'pairs.jsonl');
      writeFileSync(`${path}.tmp`, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
      renameSync(`${path}.tmp`, path);
      const english = pairs.filter((p) => p.reason === 'english_thinking').length;
      ctx.log(`pairs: ${pairs.length} synthetic preference pairs (${english} rejected for English thinking, ${pairs.length - english} for a wrong answer)`);
      return { outputs: { output: path }, summary: { pairs: pairs.length, englishThinking: english, wrongAnswer: pairs.length - english } };
    }
    const mod = await loadArea<{ runPairsBuild: (o: Record<string, unknown>) => Promise<{ sets: { name: string; pairs?: number }[]; responses: number }>; parsePairsRecipe: (v: unknown, s: string) => unknown }>('pairs', ['runPairsBuild', 'parsePairsRecipe']);
    const recipe = mod.parsePairsRecipe(plan.config, 'recipe pairs section');
    const workspace = await openWorkspace(ctx.workspace, { create: true });
    try {
      const result = await mod.runPairsBuild({
        workspace,
        recipe,
        baseDir: ctx.workspace,
        signal: ctx.signal,
        log: ctx.log,
        onProgress: (p: { phase: string; done: number; total: number }) => ctx.progress({ done: p.done, total: p.total, unit: p.phase }),
      });
      const set = result.sets[0]?.name;
      if (!set) throw new Error('pairs: the build wrote no preference set');
      return { outputs: { output: set }, summary: { responses: result.responses, sets: result.sets.length }, links: [{ page: 'pairs', id: set }] };
    } finally {
      await workspace.close();
    }
  },
  async check({ recipe }) {
    const section = recipe.pairs ?? {};
    const findings: CheckFinding[] = [];
    if (section.task !== undefined) {
      const parsed = syntheticPairsSchema.safeParse(section);
      if (!parsed.success) for (const i of parsed.error.issues) findings.push({ stage: 'pairs', level: 'error', message: `pairs.${i.path.join('.')}: ${i.message}` });
      return findings;
    }
    try {
      const mod = await loadArea<{ parsePairsRecipe: (v: unknown, s: string) => unknown }>('pairs', ['runPairsBuild', 'parsePairsRecipe']);
      mod.parsePairsRecipe(section, 'pairs');
    } catch (error) {
      findings.push({ stage: 'pairs', level: 'error', message: (error as Error).message });
    }
    return findings;
  },
};
