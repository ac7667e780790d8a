// npm run bench:train [-- --steps N --provider cpu|webgpu|cuda|auto --skip-torch]
//
// The same decoder-only transformer (4 layers, hidden 256, 4 heads, vocab 4096, seq 256, batch 8)
// trained for 20 steps by our engine (one fused ONNX train-step graph on onnxruntime-node; and the loop-step
// graph, every step after the first in one session.run: main/engine/optim/loop-step.ts) and by an
// independent PyTorch eager implementation (bench/torch_train.py), from the same initial weights on
// the same batches. Each side runs alone in its own process. Prints throughput, peak memory,
// host↔device traffic, loss agreement and both sides' bare matmul speed; writes bench/results/train.json.
//
// Fair peer: Debian's python3-torch with OpenBLAS (libopenblas0-pthread), run with OPENBLAS_CORETYPE
// and OPENBLAS_L2_SIZE unset for that command only.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultBenchConfig, initialWeights, writeBenchInputs } from './lib/train-setup.ts';
import { printTable, writeResult } from './lib/results.ts';

const root = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    provider: { type: 'string', default: 'auto' },
    'skip-torch': { type: 'boolean', default: false },
  },
});
const cfg = defaultBenchConfig({ steps: Number(args.steps) });
const work = join(root, '.tmp', 'bench-train');
rmSync(work, { recursive: true, force: true });
writeBenchInputs(work, cfg, initialWeights(cfg));
console.log(`model: ${cfg.layers} layers, hidden ${cfg.hidden}, ${cfg.heads} heads, vocab ${cfg.vocab}, seq ${cfg.seq}, batch ${cfg.batch}; ${cfg.steps} steps\n`);

type SideResult = {
  losses: number[];
  step_times_s: number[];
  peak_rss_bytes: number;
  matmul_gflops: number;
  [key: string]: unknown;
};

function runEngine(): SideResult | { error: string } {
  console.log('engine: training…');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'lib', 'engine-train-worker.ts'), work, args.provider!], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(r.stderr.split('\n').filter((l) => !/^npm warn/.test(l)).slice(-30).join('\n') + '\n');
  const out = join(work, 'engine.json');
  if (r.status !== 0 || !existsSync(out)) return { error: lastError(r.stderr) ?? `engine worker exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

/** The loop side (bench/lib/engine-loop-train-worker.ts): the same training, every step after the first in one session.run. */
function runEngineLoop(): Record<string, unknown> | { error: string } {
  console.log('engine (loop graph): training…');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'lib', 'engine-loop-train-worker.ts'), work], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  const out = join(work, 'engine-loop.json');
  if (r.status !== 0 || !existsSync(out)) return { error: lastError(r.stderr) ?? `engine loop worker exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

function pythonWithTorch(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

function runTorch(): SideResult | { error: string } {
  let python = pythonWithTorch();
  if (!python) {
    console.log('torch: python3-torch missing; installing it with apt-get (python3-torch libopenblas0-pthread)…');
    const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
    const cmd = [...sudo, 'apt-get', 'install', '-y', 'python3-torch', 'libopenblas0-pthread'];
    spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
    python = pythonWithTorch();
    if (!python) return { error: 'python3-torch is not installed and apt-get could not install it' };
  }
  console.log('torch: training…');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // the fair-peer rule: this command only
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(python, [join(root, 'bench', 'torch_train.py'), work], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(r.stderr.split('\n').slice(-25).join('\n') + '\n');
  const out = join(work, 'torch.json');
  if (r.status !== 0 || !existsSync(out)) return { error: lastError(r.stderr) ?? `torch_train.py exited with ${r.status}` };
  return JSON.parse(readFileSync(out, 'utf8'));
}

function lastError(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => /error/i.test(l));
  return lines.at(-1) ?? null;
}

const isOk = (r: SideResult | { error: string }): r is SideResult => !('error' in r);
const tokensPerStep = cfg.batch * cfg.seq;
/** Steady-state throughput: step 1 (session creation, allocator warm-up) is reported separately. */
const throughput = (r: SideResult) => {
  const steady = r.step_times_s.slice(1);
  return (tokensPerStep * steady.length) / steady.reduce((a, b) => a + b, 0);
};

// Other processes on the machine slow both sides; the load average before each run is recorded with it.
const loadBefore = { engine: os.loadavg()[0], engine_loop: 0, pytorch: 0 };
const engine = runEngine();
loadBefore.engine_loop = os.loadavg()[0];
const engineLoop = runEngineLoop();
loadBefore.pytorch = os.loadavg()[0];
const torch = args['skip-torch'] ? { error: 'skipped (--skip-torch)' } : runTorch();

const rows: (string | number)[][] = [['', 'engine', 'pytorch', 'engine / pytorch']];
const mib = (b: number) => b / 2 ** 20;
const cell = (r: SideResult | { error: string }, f: (r: SideResult) => number): string | number => (isOk(r) ? f(r) : 'n/a');
const ratio = (f: (r: SideResult) => number): string | number => (isOk(engine) && isOk(torch) ? f(engine) / f(torch) : 'n/a');
rows.push(['tokens/s (steps 2..N)', cell(engine, throughput), cell(torch, throughput), ratio(throughput)]);
rows.push(['first step (s)', cell(engine, (r) => r.step_times_s[0]), cell(torch, (r) => r.step_times_s[0]), ratio((r) => r.step_times_s[0])]);
rows.push(['peak RSS (MiB)', cell(engine, (r) => mib(r.peak_rss_bytes)), cell(torch, (r) => mib(r.peak_rss_bytes)), ratio((r) => r.peak_rss_bytes)]);
rows.push(['matmul 1024² GFLOP/s', cell(engine, (r) => r.matmul_gflops), cell(torch, (r) => r.matmul_gflops), ratio((r) => r.matmul_gflops)]);
const loopOk = !('error' in engineLoop);
const loop = engineLoop as { tokens_per_s: number; first_step_s: number; peak_rss_bytes: number; losses: number[]; traffic_run: { hostToDevice: number; deviceToHost: number }; micro_batches_per_run: number; trainable_state_bytes: number };
rows.push(['loop graph: tokens/s (steps 2..N in one run)', loopOk ? loop.tokens_per_s : 'n/a', '', loopOk && isOk(engine) ? `loop / engine ${(loop.tokens_per_s / throughput(engine)).toFixed(2)}` : 'n/a']);
rows.push(['loop graph: peak RSS (MiB)', loopOk ? mib(loop.peak_rss_bytes) : 'n/a', '', '']);
const loopLossDiff = loopOk && isOk(engine) ? Math.max(...engine.losses.map((l, i) => Math.abs(l - loop.losses[i]))) : null;
const loopTrafficPerMicroBatch = loopOk ? (loop.traffic_run.hostToDevice + loop.traffic_run.deviceToHost) / loop.micro_batches_per_run : null;
let maxLossDiff: number | null = null;
if (isOk(engine) && isOk(torch)) {
  maxLossDiff = Math.max(...engine.losses.map((l, i) => Math.abs(l - torch.losses[i])));
}
const traffic = isOk(engine) ? (engine.traffic_per_step as { hostToDevice: number; deviceToHost: number }[]) : null;
const steadyTraffic = traffic?.at(-1) ?? null;
console.log('');
printTable(rows);
console.log('');
if (isOk(engine)) console.log(`engine ${engine.provider_message}; ${engine.graph_nodes} graph nodes; graph build ${(engine.build_seconds as number).toFixed(2)} s`);
if (steadyTraffic) {
  console.log(`host↔device bytes/step: ${(steadyTraffic.hostToDevice / 2 ** 20).toFixed(2)} MiB in, ${(steadyTraffic.deviceToHost / 2 ** 20).toFixed(2)} MiB out` +
    (isOk(engine) && engine.provider === 'cpu' ? ' (CPU provider: host memory is device memory; this is what a host-output provider like CUDA would copy)' : ''));
}
if (loopOk) console.log(`loop graph: max |loss − engine loss| ${loopLossDiff?.toExponential(2)}; host↔device ${(loopTrafficPerMicroBatch! / 2 ** 20).toFixed(3)} MiB per micro-batch over ${loop.micro_batches_per_run} in one run (trainable state ${(loop.trainable_state_bytes / 2 ** 20).toFixed(2)} MiB, crossing once each way)`);
else console.log(`loop graph side failed: ${(engineLoop as { error: string }).error}`);
if (isOk(torch)) console.log(`pytorch ${torch.torch_version}, ${torch.threads} threads, BLAS: ${(torch.blas_libraries as string[]).join(', ') || 'unknown'}`);
if (maxLossDiff !== null) console.log(`max |loss difference| over ${cfg.steps} steps: ${maxLossDiff.toExponential(2)}`);
console.log(`1-minute load average before each side: engine ${loadBefore.engine.toFixed(2)}, pytorch ${loadBefore.pytorch.toFixed(2)} (${os.cpus().length} cores)`);
if (!isOk(engine)) console.log(`engine side failed: ${engine.error}`);
if (!isOk(torch)) console.log(`pytorch side failed: ${torch.error}`);

const path = writeResult('train', {
  config: cfg,
  engine: isOk(engine) ? { ...engine, tokens_per_s: throughput(engine) } : engine,
  pytorch: isOk(torch) ? { ...torch, tokens_per_s: throughput(torch) } : torch,
  throughput_ratio: isOk(engine) && isOk(torch) ? throughput(engine) / throughput(torch) : null,
  peak_rss_ratio: isOk(engine) && isOk(torch) ? engine.peak_rss_bytes / torch.peak_rss_bytes : null,
  max_loss_difference: maxLossDiff,
  host_device_bytes_per_step: steadyTraffic,
  engine_loop: loopOk ? { ...loop, loop_vs_engine: isOk(engine) ? loop.tokens_per_s / throughput(engine) : null, max_loss_difference_vs_engine: loopLossDiff, host_device_bytes_per_micro_batch: loopTrafficPerMicroBatch } : engineLoop,
  load_average_1m_before: loadBefore,
});
console.log(`\nwrote ${path}`);
