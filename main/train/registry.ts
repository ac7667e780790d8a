// The trainers by kind, typed: what the pipeline's training stages (and any caller that handles "a
// trainer") load instead of naming an entry function and a schema by string. Each loader is a literal
// import so the Electron bundle includes it, and lazy so a recipe with only an SFT stage never loads GRPO.
import type { TrainerKind } from './shared/config-base.ts';
import type { Trainer } from './shared/entry.ts';

export const TRAINERS: Record<TrainerKind, () => Promise<Trainer>> = {
  sft: async () => (await import('./sft/entry.ts')).sftTrainer,
  rm: async () => (await import('./rm/entry.ts')).rmTrainer,
  grpo: async () => (await import('./grpo/entry.ts')).grpoTrainer,
};

/** The trainer of `kind`. */
export function loadTrainer(kind: TrainerKind): Promise<Trainer> {
  return TRAINERS[kind]();
}

/** Why the trainers of `kinds` cannot be used (the first that fails to load), or null. */
export async function trainersUnavailable(...kinds: TrainerKind[]): Promise<string | null> {
  for (const kind of kinds) {
    try {
      await loadTrainer(kind);
    } catch (error) {
      return `not available: the ${kind} trainer failed to load (${(error as Error).message})`;
    }
  }
  return null;
}

export type { Trainer, TrainRequest, RunResult, StepReport, TrainData } from './shared/entry.ts';
export type { TrainerBase, TrainerKind } from './shared/config-base.ts';
