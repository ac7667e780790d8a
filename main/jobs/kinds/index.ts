// The job kinds this app knows, by name. Each entry loads the kind's module lazily inside the job
// process (so the parent never loads heavy code) and statically (so the Electron bundle includes it).
// A later stage adds a kind with one line here; the runner does not change.
import type { JobKindModule } from '../job-kind.ts';

export const builtinJobKinds: Record<string, () => Promise<JobKindModule>> = {
  import: () => import('./import.ts'),
  build: () => import('./build.ts'),
  sft: () => import('./sft.ts'),
  rm: () => import('./rm.ts'),
  grpo: () => import('./grpo.ts'),
  eval: () => import('./eval.ts'),
  pairs: () => import('./pairs.ts'),
  pipeline: () => import('./pipeline.ts'),
  export: () => import('./export.ts'),
};
