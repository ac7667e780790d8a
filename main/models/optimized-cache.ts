// A compilation cache for inference sessions: onnxruntime's optimized graph, saved once per model,
// shape bucket and engine version, with its (folded) weights in an external-data file beside it.
//
// Why: a bf16/f16 checkpoint is cast to float32 at load by constant folding (session-weights.ts), which
// costs the cast and a float32 copy in anonymous memory on every start. The cached model holds the
// folded float32 weights in a file that onnxruntime maps: later starts skip graph optimisation and the
// cast, and the weights are file pages (shared, evictable) instead of private memory.
//
// The key hashes everything the saved graph depends on: the model proto we built (graph, static
// shapes, file references), the size and mtime of every checkpoint shard it refers to (a rewritten
// model misses), the session settings that shape optimisation (level, provider, free dimension
// overrides: the shape bucket) and the engine (onnxruntime-node's version, this cache's format, the CPU).
// An entry is written to a temporary folder and renamed into place, so a crash leaves no half entry.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { WeightFiles } from './weight-files.ts';

/** Bump when what an entry holds or how it is loaded changes. */
export const OPTIMIZED_CACHE_FORMAT = 1;

const MODEL_FILE = 'model.onnx';
const WEIGHTS_FILE = 'weights.bin';
const META_FILE = 'entry.json';

/** Entries kept per cache folder; the least recently used beyond this are removed after each new entry. */
export const DEFAULT_MAX_ENTRIES = 4;

/** SAENGGAK_CACHE_DIR, else $XDG_CACHE_HOME/saenggak-lab, else ~/.cache/saenggak-lab; plus /optimized-models. */
export function defaultOptimizedCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SAENGGAK_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'saenggak-lab');
  return join(base, 'optimized-models');
}

/** Removes the least recently used complete entries beyond `keep` (and stale temporary folders of dead writers). */
export function evictOptimized(cacheDir: string, keep = DEFAULT_MAX_ENTRIES): string[] {
  if (!existsSync(cacheDir)) return [];
  const entries = readdirSync(cacheDir)
    .filter((name) => /^[0-9a-f]{32}$/.test(name) && existsSync(join(cacheDir, name, META_FILE)))
    .map((name) => ({ name, used: statSync(join(cacheDir, name, META_FILE)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  const removed = entries.slice(keep).map((e) => e.name);
  for (const name of removed) rmSync(join(cacheDir, name), { recursive: true, force: true });
  return removed;
}

/** onnxruntime-node's version: part of every key (its optimisers and kernels decide the saved graph). */
export function engineVersion(): string {
  const require = createRequire(import.meta.url);
  // The CPU too: graphs optimised at the 'all' level may hold hardware-specific layouts (NCHWc).
  return `onnxruntime-node ${(require('onnxruntime-node/package.json') as { version: string }).version}; cache format ${OPTIMIZED_CACHE_FORMAT}; ${process.arch} ${cpus()[0]?.model ?? 'unknown cpu'}`;
}

export interface CacheKeyInput {
  /** The model proto as it would be handed to onnxruntime. */
  model: Uint8Array;
  files?: WeightFiles;
  /** Settings that change the optimised graph (level, provider, freeDimensionOverrides…). */
  settings: Record<string, unknown>;
  /** Default: engineVersion(). Tests pass others to check invalidation. */
  engine?: string;
}

export function optimizedCacheKey(input: CacheKeyInput): string {
  const hash = createHash('sha256');
  hash.update(input.engine ?? engineVersion());
  hash.update('\0');
  hash.update(JSON.stringify(input.settings, Object.keys(input.settings).sort()));
  hash.update('\0');
  if (input.files) {
    const shards = [...new Set([...input.files.tensors.values()].map((t) => t.file))].sort();
    for (const file of shards) {
      const stat = statSync(join(input.files.dir, file));
      hash.update(`${file}:${stat.size}:${stat.mtimeMs}\0`);
    }
  }
  hash.update(input.model);
  return hash.digest('hex').slice(0, 32);
}

export interface CachedSession {
  /** Where the entry lives (or will, once the session is created). */
  dir: string;
  hit: boolean;
}

/** The entry for a key, when complete. */
export function lookupOptimized(cacheDir: string, key: string): CachedSession {
  const dir = join(cacheDir, key);
  return { dir, hit: existsSync(join(dir, META_FILE)) && existsSync(join(dir, MODEL_FILE)) };
}

/**
 * Creates a session whose optimised graph is saved into the cache (miss), or loads the saved one (hit).
 * `create` makes the session from (model source, options): bytes for a miss, the cached file for a hit.
 */
export async function createWithOptimizedCache(
  cacheDir: string,
  key: string,
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  create: (model: Uint8Array | string, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>,
): Promise<{ session: ort.InferenceSession; cache: CachedSession }> {
  const entry = lookupOptimized(cacheDir, key);
  const extra = (options.extra ?? {}) as { session?: Record<string, string> };
  if (entry.hit) {
    // Mark the entry used (eviction keeps the most recently used).
    const now = new Date();
    utimesSync(join(entry.dir, META_FILE), now, now);
    // The saved graph is already optimised and its weights are float32 in weights.bin: no folder option,
    // no in-memory data (the entry's own folder is where onnxruntime looks).
    const { externalData: _unused, ...rest } = options;
    const session = { ...extra.session };
    delete session.model_external_initializers_file_folder_path;
    return { session: await create(join(entry.dir, MODEL_FILE), { ...rest, extra: { ...extra, session } }), cache: entry };
  }
  mkdirSync(cacheDir, { recursive: true });
  const temporary = `${entry.dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(temporary, { recursive: true });
  try {
    const session = await create(bytes, {
      ...options,
      // onnxruntime warns that an 'all'-level graph may be hardware specific: the key names the CPU.
      logSeverityLevel: options.logSeverityLevel ?? 3,
      optimizedModelFilePath: join(temporary, MODEL_FILE),
      extra: {
        ...extra,
        session: { ...extra.session, optimized_model_external_initializers_file_name: WEIGHTS_FILE, optimized_model_external_initializers_min_size_in_bytes: '1024' },
      },
    });
    writeFileSync(join(temporary, META_FILE), JSON.stringify({ key, engine: engineVersion(), created: new Date().toISOString() }) + '\n');
    if (existsSync(entry.dir)) rmSync(temporary, { recursive: true, force: true }); // another process won the race
    else renameSync(temporary, entry.dir);
    evictOptimized(cacheDir);
    return { session, cache: { dir: entry.dir, hit: false } };
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** The entry's metadata (tests, `--json` reports). */
export function readEntry(dir: string): { key: string; engine: string } {
  return JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as { key: string; engine: string };
}
