// npm run bench:generate [-- --new-tokens N --batches 1,16 --prompt-length P --rounds R --skip-torch --skip-transformersjs]
//
// Greedy KV-cache generation with the `small` Qwen2 preset (~45M parameters, the bundled Qwen
// tokenizer's 151,669-token vocabulary) on CPU, 256 new tokens by default, at batch 1 and batch 16:
//   ours            DecoderSession + generate() (main/models/generate.ts) on onnxruntime-node;
//   ours-loop       the whole decode in one session.run (main/models/decode-loop.ts), same sessions options;
//   transformers.js @huggingface/transformers' generate() on our export (export-onnx.ts), same runtime;
//   pytorch         a plain hand-written Qwen2 forward with a preallocated KV cache in eager PyTorch
//                   (bench/torch_generate.py, Debian's python3-torch with OpenBLAS), same safetensors.
// No side stops early (ours: no stop tokens; transformers.js: min_new_tokens = max_new_tokens; PyTorch
// never checks EOS), so every row generates exactly N tokens. Prompts are random ids of equal length
// (no padding). Each (side, batch) runs alone in its own process after a short warm-up; tokens/s counts
// generated tokens over the whole call (prefill included). Other work on a shared machine swings single
// runs by 2×, so the sides take turns for R rounds (default 2) and each keeps its best run. Prints both runtimes' 1024×1024 matmul
// GFLOP/s, KV-cache bytes, peak RSS and the ratios; writes bench/results/generate.json.
//
// Fair peer: the PyTorch command runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (that command only).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printTable, writeResult } from './lib/results.ts';
import { peakRssBytes } from './lib/rss.ts';
import { ortMatmulGflops } from './lib/ort-matmul.ts';

const root = resolve(import.meta.dirname, '..');
// 'ours-loop': the whole decode as one session.run (main/models/decode-loop.ts), next to the per-token path.
const SIDES = ['ours', 'ours-loop', 'transformers.js', 'pytorch'] as const;
type Side = (typeof SIDES)[number];

/** What each side's process reports. */
interface SideResult {
  tokens: number[][];
  total_s: number;
  /** Time to the first generated token (prompt forward + first choice); null where not observable. */
  prefill_s: number | null;
  tokens_per_s: number;
  peak_rss_bytes: number;
  matmul_gflops: number;
  [key: string]: unknown;
}
type Outcome = SideResult | { error: string };
const isOk = (r: Outcome | undefined): r is SideResult => !!r && !('error' in r);

const { values: args } = parseArgs({
  options: {
    'new-tokens': { type: 'string', default: '256' },
    batches: { type: 'string', default: '1,16' },
    'prompt-length': { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    'skip-torch': { type: 'boolean', default: false },
    'skip-transformersjs': { type: 'boolean', default: false },
    // Internal: run one side in this process (the parent spawns one process per side and batch).
    worker: { type: 'string' },
    work: { type: 'string' },
    batch: { type: 'string' },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer ≥ 1, got ${value}`);
  return n;
}

const newTokens = positiveInt('new-tokens', args['new-tokens']);

if (args.worker) await runWorker(args.worker, args.work!, positiveInt('batch', args.batch));
else await runBenchmark();

// ---------------------------------------------------------------------------------------------------
// Worker processes

async function runWorker(side: string, work: string, batch: number): Promise<void> {
  const prompts = (JSON.parse(readFileSync(join(work, `prompts-${batch}.json`), 'utf8')) as { prompts: number[][] }).prompts;
  const result = side === 'ours' ? await runOurs(work, prompts) : side === 'ours-loop' ? await runOursLoop(work, prompts) : side === 'transformers.js' ? await runTransformersJs(work, prompts) : null;
  if (!result) throw new Error(`unknown worker side ${side}`);
  writeFileSync(join(work, `${side}-${batch}.json`), JSON.stringify(result));
}

async function runOurs(work: string, prompts: number[][]): Promise<SideResult> {
  const { loadModel } = await import('../main/models/weights.ts');
  const { DecoderSession } = await import('../main/models/decoder-session.ts');
  const { generate } = await import('../main/models/generate.ts');
  const { config, weights } = loadModel(join(work, 'model'));
  const session = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true });
  await generate(session, prompts, { maxNewTokens: 4, stopTokenIds: [] }); // warm-up
  let firstToken: number | null = null;
  const started = performance.now();
  const sequences = await generate(session, prompts, {
    maxNewTokens: newTokens,
    stopTokenIds: [],
    onToken: (e) => { firstToken ??= performance.now(); void e; },
  });
  const total = (performance.now() - started) / 1000;
  const peak = peakRssBytes();
  await session.release();
  return {
    tokens: sequences.map((s) => s.tokens),
    total_s: total,
    prefill_s: firstToken === null ? null : (firstToken - started) / 1000,
    tokens_per_s: (prompts.length * newTokens) / total,
    peak_rss_bytes: peak,
    matmul_gflops: await ortMatmulGflops(),
  };
}

async function runOursLoop(work: string, prompts: number[][]): Promise<SideResult> {
  const { loadModel } = await import('../main/models/weights.ts');
  const { DecodeLoop } = await import('../main/models/decode-loop.ts');
  const { config, weights } = loadModel(join(work, 'model'));
  const loop = new DecodeLoop(config, weights);
  await loop.generate(prompts, { maxNewTokens: 4, stopTokenIds: [] }); // warm-up (creates the session)
  const started = performance.now();
  const { sequences, traffic } = await loop.generate(prompts, { maxNewTokens: newTokens, stopTokenIds: [] });
  const total = (performance.now() - started) / 1000;
  const peak = peakRssBytes();
  await loop.release();
  return {
    tokens: sequences.map((s) => s.tokens),
    total_s: total,
    prefill_s: null, // one run: the first token is not observable on its own
    tokens_per_s: (prompts.length * newTokens) / total,
    peak_rss_bytes: peak,
    matmul_gflops: await ortMatmulGflops(),
    traffic,
  };
}

async function runTransformersJs(work: string, prompts: number[][]): Promise<SideResult> {
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  const model = await AutoModelForCausalLM.from_pretrained(join(work, 'web'), { dtype: 'fp32', device: 'cpu', local_files_only: true });
  const shape = [prompts.length, prompts[0].length];
  const inputs = {
    input_ids: new Tensor('int64', BigInt64Array.from(prompts.flat(), BigInt), shape),
    attention_mask: new Tensor('int64', new BigInt64Array(prompts.length * prompts[0].length).fill(1n), shape),
    do_sample: false,
  };
  await model.generate({ ...inputs, max_new_tokens: 4, min_new_tokens: 4 }); // warm-up
  const started = performance.now();
  const out = (await model.generate({ ...inputs, max_new_tokens: newTokens, min_new_tokens: newTokens })) as InstanceType<typeof Tensor>;
  const total = (performance.now() - started) / 1000;
  const peak = peakRssBytes();
  await model.dispose();
  const rows = out.tolist() as bigint[][];
  return {
    tokens: rows.map((r) => r.slice(prompts[0].length).map(Number)),
    total_s: total,
    prefill_s: null,
    tokens_per_s: (prompts.length * newTokens) / total,
    peak_rss_bytes: peak,
    matmul_gflops: await ortMatmulGflops(),
  };
}

// ---------------------------------------------------------------------------------------------------
// The benchmark: model, export, prompts, one process per side and batch, table and JSON.

async function runBenchmark(): Promise<void> {
  const { createModelFolder } = await import('../main/models/init.ts');
  const { loadModel } = await import('../main/models/weights.ts');
  const { exportTransformersJs } = await import('../main/models/export-onnx.ts');
  const { SeededRandom } = await import('../main/models/init.ts');

  const batches = args.batches!.split(',').map((b) => positiveInt('batches', b.trim()));
  const promptLength = positiveInt('prompt-length', args['prompt-length']);
  const work = join(root, '.tmp', 'bench-generate');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  console.log('creating the small Qwen2 preset and exporting it for transformers.js…');
  const { parameters } = createModelFolder({ family: 'qwen2', preset: 'small', outDir: join(work, 'model'), seed: 0 });
  const { config, weights } = loadModel(join(work, 'model'));
  await exportTransformersJs(join(work, 'web'), config, weights, { tokenizerDir: join(work, 'model') });

  // Random ordinary-token prompts (below the special tokens), one file per batch size.
  const rng = new SeededRandom(7);
  const ordinary = config.eosTokenIds.length ? Math.min(...config.eosTokenIds, config.vocabSize) : config.vocabSize;
  for (const batch of batches) {
    const prompts = Array.from({ length: batch }, () => Array.from({ length: promptLength }, () => Math.floor(rng.uniform() * ordinary)));
    writeFileSync(join(work, `prompts-${batch}.json`), JSON.stringify({ prompts }));
  }
  const kvBytes = (batch: number) => config.numLayers * 2 * batch * config.numKvHeads * (promptLength + newTokens) * config.headDim * 4;
  console.log(`model: qwen2 small, ${(parameters / 1e6).toFixed(1)}M parameters (hidden ${config.hiddenSize}, ${config.numLayers} layers, ${config.numHeads} heads / ${config.numKvHeads} kv heads, vocab ${config.vocabSize}); prompt ${promptLength} tokens, ${newTokens} new tokens, greedy, no early stop\n`);

  // Rounds interleave the sides so a burst of load elsewhere hits them alike; each keeps its best run.
  const rounds = positiveInt('rounds', args.rounds);
  const results: Record<string, Partial<Record<Side, Outcome>>> = {};
  const runs: Record<string, Partial<Record<Side, { tokens_per_s: number | null; load_average_1m_before: number }[]>>> = {};
  for (const batch of batches) {
    results[batch] = {};
    runs[batch] = {};
  }
  for (let round = 1; round <= rounds; round++) {
    for (const batch of batches) {
      for (const side of SIDES) {
        if ((side === 'pytorch' && args['skip-torch']) || (side === 'transformers.js' && args['skip-transformersjs'])) {
          results[batch][side] = { error: 'skipped' };
          continue;
        }
        const load = os.loadavg()[0];
        console.log(`round ${round}/${rounds}, batch ${batch}: ${side}…`);
        const r = side === 'pytorch' ? runTorch(work, batch) : runNodeWorker(side, work, batch);
        console.log(isOk(r) ? `  ${r.tokens_per_s.toFixed(1)} tokens/s (${r.total_s.toFixed(2)} s; load ${load.toFixed(2)})` : `  failed: ${r.error}`);
        (runs[batch][side] ??= []).push({ tokens_per_s: isOk(r) ? r.tokens_per_s : null, load_average_1m_before: load });
        const best = results[batch][side];
        if (!best || (isOk(r) && (!isOk(best) || r.tokens_per_s > best.tokens_per_s))) results[batch][side] = r;
      }
    }
  }

  const mib = (b: number) => b / 2 ** 20;
  const cell = (r: Outcome | undefined, f: (r: SideResult) => number | null): string | number => (isOk(r) ? f(r) ?? 'n/a' : 'n/a');
  const ratio = (a: Outcome | undefined, b: Outcome | undefined) => (isOk(a) && isOk(b) ? a.tokens_per_s / b.tokens_per_s : null);
  const rows: (string | number)[][] = [['', 'ours', 'transformers.js', 'pytorch', 'ours / transformers.js', 'ours / pytorch']];
  const summary: Record<string, unknown> = {};
  for (const batch of batches) {
    const r = results[batch];
    const vsTjs = ratio(r.ours, r['transformers.js']);
    const vsTorch = ratio(r.ours, r.pytorch);
    rows.push([`batch ${batch}: tokens/s`, cell(r.ours, (x) => x.tokens_per_s), cell(r['transformers.js'], (x) => x.tokens_per_s), cell(r.pytorch, (x) => x.tokens_per_s), vsTjs ?? 'n/a', vsTorch ?? 'n/a']);
    rows.push([`batch ${batch}: first token (s)`, cell(r.ours, (x) => x.prefill_s), cell(r['transformers.js'], (x) => x.prefill_s), cell(r.pytorch, (x) => x.prefill_s), '', '']);
    rows.push([`batch ${batch}: peak RSS (MiB)`, cell(r.ours, (x) => mib(x.peak_rss_bytes)), cell(r['transformers.js'], (x) => mib(x.peak_rss_bytes)), cell(r.pytorch, (x) => mib(x.peak_rss_bytes)), '', '']);
    rows.push([`batch ${batch}: KV cache (MiB)`, mib(kvBytes(batch)), mib(kvBytes(batch)), cell(r.pytorch, (x) => mib(x.kv_cache_bytes as number)), '', '']);
    const loopVsOurs = ratio(r['ours-loop'], r.ours);
    rows.push([`batch ${batch}: ours-loop tokens/s (one run)`, cell(r['ours-loop'], (x) => x.tokens_per_s), '', '', loopVsOurs === null ? '' : `loop / ours ${loopVsOurs.toFixed(2)}`, '']);
    summary[batch] = {
      ours_loop_vs_ours: loopVsOurs,
      ours_loop_traffic: isOk(r['ours-loop']) ? r['ours-loop'].traffic : null,
      ours_loop_same_tokens_as_ours: isOk(r.ours) && isOk(r['ours-loop']) ? sameRows(r.ours.tokens, r['ours-loop'].tokens) : null,
      ours_vs_transformersjs: vsTjs,
      ours_vs_pytorch: vsTorch,
      kv_cache_bytes: kvBytes(batch),
      same_tokens_as_ours: {
        'transformers.js': isOk(r.ours) && isOk(r['transformers.js']) ? sameRows(r.ours.tokens, r['transformers.js'].tokens) : null,
        pytorch: isOk(r.ours) && isOk(r.pytorch) ? sameRows(r.ours.tokens, r.pytorch.tokens) : null,
      },
    };
  }
  const anyOk = (side: Side) => batches.map((b) => results[b][side]).find(isOk);
  const bestMatmul = (side: Side) => {
    const all = batches.map((b) => results[b][side]).filter(isOk).map((r) => r.matmul_gflops);
    return all.length ? Math.max(...all) : 'n/a';
  };
  // Measured in each side's process right after its generation; the best of them, like tokens/s.
  rows.push(['matmul 1024² GFLOP/s', bestMatmul('ours'), bestMatmul('transformers.js'), bestMatmul('pytorch'), '', '']);

  console.log('');
  printTable(rows);
  console.log('');
  console.log('KV cache: layers × (key, value) × batch × kv heads × (prompt + new tokens) × head dim × 4 bytes at the last step.');
  for (const batch of batches) {
    const same = (summary[batch] as { same_tokens_as_ours: Record<string, string | null> }).same_tokens_as_ours;
    console.log(`batch ${batch}: rows with tokens identical to ours: transformers.js ${same['transformers.js'] ?? 'n/a'}, pytorch ${same.pytorch ?? 'n/a'} (random init ⇒ nearly flat logits: float32 op order can flip close argmaxes)`);
  }
  const torch = anyOk('pytorch');
  if (torch) console.log(`pytorch ${torch.torch_version}, ${torch.threads} intra-op thread(s), OpenBLAS ${torch.openblas_threads ?? '?'} threads, BLAS: ${(torch.blas_libraries as string[]).join(', ') || 'unknown'}`);
  console.log(`best of ${rounds} round(s) per side; tokens/s of every run with the 1-minute load average before it (${os.cpus().length} cores):`);
  for (const batch of batches) {
    for (const side of SIDES) {
      const list = runs[batch][side];
      if (list) console.log(`  batch ${batch} ${side}: ${list.map((r) => `${r.tokens_per_s?.toFixed(1) ?? 'failed'} (load ${r.load_average_1m_before.toFixed(2)})`).join(', ')}`);
    }
  }
  if (newTokens !== 256) console.log(`note: ${newTokens} new tokens (default 256)`);

  const path = writeResult('generate', {
    model: { family: 'qwen2', preset: 'small', parameters, hidden: config.hiddenSize, layers: config.numLayers, heads: config.numHeads, kv_heads: config.numKvHeads, vocab: config.vocabSize },
    prompt_length: promptLength,
    new_tokens: newTokens,
    batches,
    results: Object.fromEntries(batches.map((b) => [b, Object.fromEntries(SIDES.map((s) => [s, withoutTokens(results[b][s])]))])),
    summary,
    rounds,
    runs,
  });
  console.log(`\nwrote ${path}`);
}

function runNodeWorker(side: Side, work: string, batch: number): Outcome {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--worker', side, '--work', work, '--batch', String(batch), '--new-tokens', String(newTokens)], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  const out = join(work, `${side}-${batch}.json`);
  if (r.status !== 0 || !existsSync(out)) return { error: lastLines(r.stderr) || `worker exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

function pythonWithTorch(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

function runTorch(work: string, batch: number): Outcome {
  const python = pythonWithTorch();
  if (!python) return { error: 'no python3 with torch (apt-get install python3-torch libopenblas0-pthread)' };
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // the fair-peer rule: this command only
  delete env.OPENBLAS_L2_SIZE;
  const out = join(work, `pytorch-${batch}.json`);
  const r = spawnSync(python, [join(root, 'bench', 'torch_generate.py'), join(work, 'model'), join(work, `prompts-${batch}.json`), String(newTokens), out], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) return { error: lastLines(r.stderr) || `torch_generate.py exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

function lastLines(stderr: string): string {
  return stderr.split('\n').filter((l) => l.trim() && !/^npm warn/.test(l)).slice(-5).join('\n');
}

function sameRows(a: number[][], b: number[][]): string {
  return `${a.filter((row, i) => JSON.stringify(row) === JSON.stringify(b[i])).length}/${a.length}`;
}

function withoutTokens(r: Outcome | undefined): unknown {
  if (!isOk(r)) return r ?? null;
  const { tokens: _tokens, ...rest } = r;
  return rest;
}
