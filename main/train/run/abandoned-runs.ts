// Run folders a failed start leaves behind. A trainer creates its run folder before it reads the data and
// the model, so a rejected input (a missing data file, a bad model) used to leave rm, rm-2, rm-3… behind,
// one per try. A run that trained at least one step keeps its folder: its checkpoint can be resumed.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Run folders in RUNS_DIR, by folder name: take this before starting, to know which ones the start made. */
export function runFolderNames(runsDir: string): Set<string> {
  if (!existsSync(runsDir)) return new Set();
  return new Set(readdirSync(runsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
}

/**
 * Removes the run folders created since BEFORE (only the one named ONLY, when given) that never reached a
 * step: run.json's step 0 (or no readable run.json) and no checkpoint.
 */
export function removeEmptyRunsSince(runsDir: string, before: Set<string>, only?: string): void {
  for (const name of runFolderNames(runsDir)) {
    if (before.has(name) || (only !== undefined && name !== only)) continue;
    const dir = join(runsDir, name);
    let step = 0;
    try {
      step = (JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { step?: number }).step ?? 0;
    } catch {
      // no readable run.json: created and abandoned at once
    }
    const checkpoints = existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')).length : 0;
    if (step === 0 && checkpoints === 0) rmSync(dir, { recursive: true, force: true });
  }
}
