// Neuron selection files a workspace holds, for the Neurons page: <workspace>/neurons/*.json (where
// `saenggak neurons find --out` is pointed by convention) and the alignment stage's selections
// (pipelines/<name>/alignment/neurons-*.json). Files that are not selections are skipped.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { readSelectionFile, type NeuronSelection } from './selection-file.ts';

export interface SelectionItem {
  /** Absolute path. */
  path: string;
  /** Path relative to the workspace (what the page shows). */
  name: string;
  model: string;
  method: string;
  target: string | null;
  selected: number;
  layers: number[];
  modifiedAt: string;
}

function jsonFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f.startsWith(prefix))
    .map((f) => join(dir, f));
}

export function listSelections(root: string): SelectionItem[] {
  const files = [...jsonFiles(join(root, 'neurons'))];
  const pipelines = join(root, 'pipelines');
  if (existsSync(pipelines)) for (const p of readdirSync(pipelines)) files.push(...jsonFiles(join(pipelines, p, 'alignment'), 'neurons-'));
  const items: SelectionItem[] = [];
  for (const path of files) {
    let selection: NeuronSelection;
    try {
      selection = readSelectionFile(path);
    } catch {
      continue;
    }
    items.push({
      path,
      name: relative(root, path),
      model: selection.model,
      method: selection.method,
      target: selection.target ?? null,
      selected: selection.layers.reduce((n, l) => n + l.neurons.length, 0),
      layers: selection.layers.filter((l) => l.neurons.length).map((l) => l.layer),
      modifiedAt: statSync(path).mtime.toISOString(),
    });
  }
  return items.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt) || a.name.localeCompare(b.name));
}

/** Reads a selection file inside `root` (the page never reads files outside the workspace). */
export function readSelectionIn(root: string, path: string): NeuronSelection {
  const absolute = resolve(root, path);
  const base = resolve(root);
  if (absolute !== base && !absolute.startsWith(base + sep)) throw new Error(`${path} is outside the workspace`);
  if (!existsSync(absolute)) throw new Error(`no selection file ${absolute}`);
  return readSelectionFile(absolute);
}
