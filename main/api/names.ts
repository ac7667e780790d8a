// Names that become folder or file names under the workspace (pipelines, evaluations, runs): checked at the
// API boundary on every transport, so no name can climb out of its folder (#23: `pipeline.get` accepted
// `../`). Dataset and run names have stricter patterns in the contract; this is the floor for every name.
import { ApiFailure } from './errors.ts';

/** Throws `invalid_input` unless `name` is one path segment: no separators, no `..`, no control characters. */
export function requireSafeName(name: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  const bad = name.length === 0 || name.length > 200 || /[/\\\u0000-\u001f\u007f]/.test(name) || name.includes('..') || name === '.';
  if (bad) {
    throw new ApiFailure(
      'invalid_input',
      `invalid ${what} ${JSON.stringify(name.slice(0, 80))}: a name is one folder name (no "/", "\\", ".." or control characters, at most 200 characters)`,
    );
  }
  return name;
}

/**
 * A value that names a thing in the workspace (`student`, `prompts`) rather than a file or folder
 * (`./x`, `/abs`, `a/b`, `data.jsonl`: a file name alone is a path relative to the server's folder).
 */
export function isPlainName(value: string): boolean {
  if (/[/\\]/.test(value) || value === '.' || value === '..' || value.startsWith('~')) return false;
  return !/\.(jsonl|json|parquet|csv|tsv|txt|ya?ml|safetensors|onnx|gguf)$/i.test(value);
}

/** Config keys whose string values name files or folders (a model folder, a data file, an adapter). */
const PATH_KEYS = new Set(['model', 'source', 'path', 'adapter', 'workspace', 'output', 'out', 'rewardModel', 'reference', 'referenceModel', 'base', 'selection', 'neurons', 'recipe', 'recipePath', 'data', 'dataset', 'benchmark', 'benchmarks', 'models']);

/**
 * Every file or folder a config object names, with where it sits (`data.source`): string values (and
 * strings in arrays) under PATH_KEYS that are not plain names. Serve mode checks each against its folders.
 */
export function configPaths(config: unknown, at = ''): { at: string; path: string }[] {
  if (!config || typeof config !== 'object') return [];
  const found: { at: string; path: string }[] = [];
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const where = at ? `${at}.${key}` : key;
    const strings = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    if (PATH_KEYS.has(key)) for (const s of strings) if (!isPlainName(s)) found.push({ at: where, path: s });
    if (value && typeof value === 'object') found.push(...configPaths(value, where));
  }
  return found;
}
