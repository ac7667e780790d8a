// The models a run can start from: folders under models/ and the outputs of finished runs, and how a
// config's model path resolves.
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { RunStartModel } from './types.ts';
import { RunFolder, listRuns } from './run-folder.ts';
import { workspacePaths } from '../../store/workspace.ts';
import { loadModelConfig } from '../../models/config.ts';
import { parameterCounts } from '../../models/memory.ts';

function describeModel(path: string): Pick<RunStartModel, 'family' | 'parameters' | 'task' | 'adapter'> {
  if (existsSync(join(path, 'adapter_config.json')) && !existsSync(join(path, 'config.json'))) {
    return { family: null, parameters: null, task: null, adapter: true };
  }
  try {
    const config = loadModelConfig(path);
    return { family: config.family, parameters: parameterCounts(config).total, task: config.task, adapter: false };
  } catch {
    return { family: null, parameters: null, task: null, adapter: false };
  }
}

function isModelFolder(path: string): boolean {
  return existsSync(join(path, 'config.json')) || existsSync(join(path, 'adapter_config.json'));
}

export function startModels(root: string): RunStartModel[] {
  const models: RunStartModel[] = [];
  const modelsDir = workspacePaths(root).models;
  if (existsSync(modelsDir)) {
    for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
      const path = join(modelsDir, entry.name);
      if (entry.isDirectory() && isModelFolder(path)) models.push({ name: entry.name, path, source: 'workspace', ...describeModel(path) });
    }
  }
  for (const run of listRuns(root)) {
    if (run.status !== 'finished' || !run.output) continue;
    const path = isAbsolute(run.output) ? run.output : resolve(RunFolder.inWorkspace(root, run.name).dir, run.output);
    if (!isModelFolder(path)) continue;
    models.push({ name: `${run.name} (output)`, path, source: 'run', run: run.name, kind: run.kind, ...describeModel(path) });
  }
  return models.sort((a, b) => (a.source === b.source ? a.name.localeCompare(b.name) : a.source === 'workspace' ? -1 : 1));
}

/** A config's model path: absolute, relative to the workspace, or a name under models/. */
export function resolveModelPath(root: string, model: string): string {
  if (isAbsolute(model)) return model;
  for (const candidate of [resolve(root, model), join(workspacePaths(root).models, model)]) {
    if (existsSync(join(candidate, 'config.json'))) return candidate;
  }
  return resolve(root, model);
}
