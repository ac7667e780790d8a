// npm run bench:load [-- --shapes small,0.5b,1.5b --new-tokens 8 --prompt-length 32 --work DIR --skip-torch]
//
// Issue #30: how fast a model starts and how much it holds. For each shape a fresh process per side:
//   ours            `saenggak generate`'s path: config + safetensors headers, a DecoderSession that maps
//                   the checkpoint files (main/models/session-weights.ts), greedy KV-cache decoding;
//   ours (cache)    the same with --optimized-cache, second start (the first, untimed, fills the cache):
//                   only for half-precision checkpoints, where the saved graph holds the folded float32 weights;
//   pytorch         bench/torch_load.py: each tensor read once into its own buffer (bf16 widened once),
//                   torch_generate.py's hand-written Qwen2 with a preallocated KV cache (Debian's torch).
// Times are wall clock from the parent's spawn: start = weights ready (interpreter start and imports
// included, both sides), first token = start + prefill + first argmax, decode = tokens/s after it.
// Peak RSS is the child's maxRSS. Each side also reports the CPU seconds it had used when its weights
// were ready (user + system, all threads: `start_cpu_s`): on this shared 2-core machine at load 15–25 the
// wall clock mostly measures how much CPU the scheduler lent, so `vs_torch_load_cpu` (PyTorch's CPU ÷ ours)
// compares the work itself. Shapes not run now (--shapes) keep their earlier rows, marked `measured_at`. Before each run the checkpoint is read once (cat), so both sides find
// it in the page cache alike. Shapes: small = the `small` preset (45M, F32); 0.5b = Qwen2.5-0.5B's shape
// in F32 (1.98 GB, the file issue #30 measured); 1.5b = Qwen2.5-1.5B's shape in BF16 (3.09 GB).
// Models are made once in --work (default /tmp/saenggak-bench-load) and reused. Writes bench/results/load.json
// with vs_torch_load (PyTorch start ÷ ours) and rss_ratio (ours peak ÷ PyTorch's).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printTable, writeResult } from './lib/results.ts';

const root = resolve(import.meta.dirname, '..');

const SHAPES = {
  small: { family: 'qwen2', preset: 'small', dtype: 'F32' },
  '0.5b': { family: 'qwen2', preset: 'qwen2.5-0.5b', dtype: 'F32' },
  '1.5b': { family: 'qwen2', preset: 'qwen2.5-1.5b', dtype: 'BF16' },
} as const;
type Shape = keyof typeof SHAPES;

const { values: args } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'small,0.5b,1.5b' },
    'new-tokens': { type: 'string', default: '8' },
    'prompt-length': { type: 'string', default: '32' },
    work: { type: 'string', default: join(os.tmpdir(), 'saenggak-bench-load') },
    'skip-torch': { type: 'boolean', default: false },
    // Internal: one side in this process.
    worker: { type: 'boolean', default: false },
    model: { type: 'string' },
    prompt: { type: 'string' },
    out: { type: 'string' },
    cache: { type: 'string' },
  },
});

interface Run {
  start_s: number;
  first_token_s: number;
  decode_tokens_per_s: number;
  peak_rss_bytes: number;
  tokens: number[];
  load_average_1m_before: number;
  [key: string]: unknown;
}
type Outcome = Run | { error: string };
const ok = (r: Outcome | undefined): r is Run => !!r && !('error' in r);

if (args.worker) await worker();
else await bench();

async function worker(): Promise<void> {
  const { openModelFolder } = await import('../main/models/weight-files.ts');
  const { DecoderSession } = await import('../main/models/decoder-session.ts');
  const { generate } = await import('../main/models/generate.ts');
  const prompt = (JSON.parse(readFileSync(args.prompt!, 'utf8')) as { prompt: number[] }).prompt;
  const { config, weightFiles } = openModelFolder(args.model!);
  const session = await DecoderSession.create(config, new Map(), { kvCache: true, lastPositionLogits: true, weightFiles, optimizedCacheDir: args.cache });
  const ready = Date.now();
  const cpu = process.cpuUsage();
  let first = 0;
  const [out] = await generate(session, [prompt], { maxNewTokens: Number(args['new-tokens']), stopTokenIds: [], onToken: () => { first ||= Date.now(); } });
  const done = Date.now();
  writeFileSync(args.out!, JSON.stringify({
    ready_at_ms: ready, first_token_at_ms: first, done_at_ms: done, tokens: out.tokens, start_cpu_s: (cpu.user + cpu.system) / 1e6,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024, optimized_cache_hit: session.optimizedCache?.hit ?? null,
  }));
  await session.release();
}

function makeModel(shape: Shape): string {
  const spec = SHAPES[shape];
  const dir = join(args.work!, `${spec.preset}-${spec.dtype}`);
  if (existsSync(join(dir, 'done'))) return dir;
  console.log(`making ${spec.preset} (${spec.dtype}) in ${dir} …`);
  const r = spawnSync(process.execPath, ['bin/saenggak.js', 'model', 'init', '--arch', spec.family, '--preset', spec.preset, '--dtype', spec.dtype, '--out', dir, '--seed', '1'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`model init ${spec.preset} failed`);
  writeFileSync(join(dir, 'done'), '');
  return dir;
}

/** Reads the checkpoint once so every side starts with it in the page cache. */
function warmPageCache(dir: string): void {
  for (const f of readdirSync(dir)) if (f.endsWith('.safetensors')) spawnSync('cat', [join(dir, f)], { stdio: ['ignore', 'ignore', 'ignore'] });
}

function timed(command: string, argv: string[], out: string, env: NodeJS.ProcessEnv = process.env): Outcome {
  const load = os.loadavg()[0];
  const spawned = Date.now();
  const r = spawnSync(command, argv, { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) return { error: (r.stderr ?? '').trim().split('\n').slice(-4).join(' | ') || `exit ${r.status}` };
  const o = JSON.parse(readFileSync(out, 'utf8')) as { ready_at_ms: number; first_token_at_ms: number; done_at_ms: number; tokens: number[]; peak_rss_bytes: number };
  const n = o.tokens.length;
  return {
    ...o,
    start_s: (o.ready_at_ms - spawned) / 1000,
    first_token_s: (o.first_token_at_ms - spawned) / 1000,
    decode_tokens_per_s: n > 1 ? ((n - 1) * 1000) / (o.done_at_ms - o.first_token_at_ms) : 0,
    load_average_1m_before: load,
  };
}

function python(): string | null {
  for (const p of ['/usr/bin/python3', 'python3']) if (spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return p;
  return null;
}

async function bench(): Promise<void> {
  const shapes = args.shapes!.split(',').map((s) => s.trim()) as Shape[];
  for (const s of shapes) if (!(s in SHAPES)) throw new Error(`--shapes: unknown shape "${s}" (known: ${Object.keys(SHAPES).join(', ')})`);
  mkdirSync(args.work!, { recursive: true });
  const promptLength = Number(args['prompt-length']);
  const newTokens = Number(args['new-tokens']);
  const py = args['skip-torch'] ? null : python();
  const results: Record<string, unknown> = {};
  const rows: (string | number)[][] = [['', 'start (s)', 'first token (s)', 'decode tok/s', 'peak RSS (MiB)']];
  const mib = (b: number) => Math.round(b / 2 ** 20);
  for (const shape of shapes) {
    const dir = makeModel(shape);
    const prompt = join(args.work!, `prompt-${shape}.json`);
    writeFileSync(prompt, JSON.stringify({ prompt: Array.from({ length: promptLength }, (_, i) => 1000 + ((i * 7919) % 50000)) }));
    const weightBytes = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    const side = (name: string, cache?: string): Outcome => {
      warmPageCache(dir);
      const out = join(args.work!, `${shape}-${name}.json`);
      console.log(`${shape}: ${name} (load ${os.loadavg()[0].toFixed(2)}) …`);
      return timed(process.execPath, ['--import', 'tsx', import.meta.filename, '--worker', '--model', dir, '--prompt', prompt, '--out', out, '--new-tokens', String(newTokens), ...(cache ? ['--cache', cache] : [])], out);
    };
    const ours = side('ours');
    let cached: Outcome | undefined;
    if (SHAPES[shape].dtype !== 'F32') {
      const cacheDir = join(args.work!, `optimized-cache-${shape}`);
      side('ours-cache-fill', cacheDir);
      cached = side('ours-cache', cacheDir);
    }
    let torch: Outcome = { error: 'skipped (--skip-torch or no python3 with torch: apt-get install python3-torch libopenblas0-pthread)' };
    if (py) {
      warmPageCache(dir);
      const out = join(args.work!, `${shape}-pytorch.json`);
      const env = { ...process.env };
      delete env.OPENBLAS_CORETYPE; // the fair-peer rule (bench/generate.bench.ts): this command only
      delete env.OPENBLAS_L2_SIZE;
      console.log(`${shape}: pytorch (load ${os.loadavg()[0].toFixed(2)}) …`);
      torch = timed(py, [join(root, 'bench', 'torch_load.py'), dir, prompt, String(newTokens), out], out, env);
    }
    const entry: Record<string, unknown> = { model: SHAPES[shape], checkpoint_bytes: weightBytes, ours, ...(cached ? { ours_cached: cached } : {}), pytorch: torch };
    for (const [label, r] of [['ours', ours], ['ours (cache)', cached], ['pytorch', torch]] as const) {
      if (!r) continue;
      rows.push(ok(r) ? [`${shape} ${label}`, r.start_s, r.first_token_s, r.decode_tokens_per_s, mib(r.peak_rss_bytes)] : [`${shape} ${label}`, 'failed', '', '', '']);
      if (!ok(r)) console.log(`  ${label} failed: ${r.error}`);
    }
    if (ok(torch)) {
      for (const [key, r] of [['', ours], ['_cached', cached]] as const) {
        if (!ok(r)) continue;
        entry[`vs_torch_load${key}`] = torch.start_s / r.start_s;
        entry[`vs_torch_first_token${key}`] = torch.first_token_s / r.first_token_s;
        entry[`rss_ratio${key}`] = r.peak_rss_bytes / torch.peak_rss_bytes;
        entry[`decode_ratio${key}`] = r.decode_tokens_per_s / torch.decode_tokens_per_s;
        entry[`same_tokens${key}`] = JSON.stringify(r.tokens) === JSON.stringify(torch.tokens);
        if (typeof torch.start_cpu_s === 'number' && typeof r.start_cpu_s === 'number') entry[`vs_torch_load_cpu${key}`] = torch.start_cpu_s / r.start_cpu_s;
      }
    }
    results[shape] = entry;
  }
  printTable(rows);
  for (const [shape, e] of Object.entries(results) as [string, Record<string, unknown>][]) {
    const f = (k: string) => (typeof e[k] === 'number' ? (e[k] as number).toFixed(2) : 'n/a');
    console.log(`${shape}: vs_torch_load ${f('vs_torch_load')} (cache ${f('vs_torch_load_cached')}; CPU seconds ${f('vs_torch_load_cpu')}), rss_ratio ${f('rss_ratio')} (cache ${f('rss_ratio_cached')}), decode_ratio ${f('decode_ratio')}`);
  }
  // Rows of shapes not run this time stay, marked with the run they come from.
  const previousPath = join(root, 'bench', 'results', 'load.json');
  if (existsSync(previousPath)) {
    const previous = JSON.parse(readFileSync(previousPath, 'utf8')) as { date: string; machine?: { loadAverage?: number[] }; shapes?: Record<string, Record<string, unknown>> };
    for (const [shape, entry] of Object.entries(previous.shapes ?? {})) {
      if (!(shape in results)) results[shape] = { ...entry, measured_at: entry.measured_at ?? previous.date, load_average_then: entry.load_average_then ?? previous.machine?.loadAverage };
    }
  }
  const path = writeResult('load', {
    prompt_length: promptLength, new_tokens: newTokens, load_average_1m_at_end: os.loadavg()[0], cores: os.cpus().length,
    goals: { vs_torch_load: '≥ 1.0', rss_ratio: '≤ 1.2', decode_ratio: '≥ 1.0' },
    shapes: results,
  });
  console.log(`wrote ${path}`);
}
