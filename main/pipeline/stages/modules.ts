// The modules of other areas that stages call, loaded lazily when a stage runs (a recipe with only an SFT
// stage never loads the GRPO trainer). The specifiers are literal so that the Electron bundle
// (scripts/build-electron.mjs, esbuild) includes them: a path computed at run time would point at
// TypeScript sources that a packaged app does not have. A module that lacks an expected export reports the
// stage as unavailable with the names, instead of failing inside the stage.
import { StageUnavailableError } from '../stage.ts';

// The trainers are not here: the training stages load them by kind from the typed registry
// (train/registry.ts), each behind the one trainer contract.
const AREA_LOADERS = {
  pairs: () => import('../../pairs/index.ts'),
  eval: () => import('../../eval/index.ts'),
  evalReport: () => import('../../eval/report.ts'),
} as const;
export type Area = keyof typeof AREA_LOADERS;

/** Imports an area module that exports every one of `names`, or says why it cannot. */
export async function loadArea<T>(area: Area, names: readonly string[]): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await AREA_LOADERS[area]()) as Record<string, unknown>;
  } catch (error) {
    throw new StageUnavailableError(`not available: the ${area} module failed to load (${(error as Error).message})`);
  }
  const absent = names.filter((n) => typeof mod[n] === 'undefined');
  if (absent.length > 0) throw new StageUnavailableError(`not available: the ${area} module does not export ${absent.join(', ')}`);
  return mod as T;
}

/** The reason an area cannot be used, or null (checks exports too). */
export async function areaUnavailable(area: Area, names: readonly string[]): Promise<string | null> {
  try {
    await loadArea(area, names);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
