// Import benchmark: 200k generated JSONL rows of ~2 KB each, imported into a fresh workspace.
//
//   npm run bench:import [-- --rows N]
//
// The import runs in a child process (as an import job does), so the numbers include the parent's view:
// the parent's event-loop delay (p99, perf_hooks.monitorEventLoopDelay) while it receives progress
// messages. Prints a table and writes bench/results/import.json with the machine described.
// Goals: ≥ 50k rows/s, child peak RSS < 1 GB, parent event-loop p99 < 20 ms.
import { fork } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '..');

type ChildResult = {
  imported: number;
  rejected: number;
  seconds: number;
  parseAndWriteSeconds: number;
  peakRssMiB: number;
  /** User + system CPU seconds of the child (all its threads, LanceDB's included) during the import. */
  cpuSeconds: number;
  rowsPerSecond: number;
  mibPerSecond: number;
  /** One uncached search over the imported rows (a rare needle and a common one): seconds and matches. */
  search: { needle: string; seconds: number; cpuSeconds: number; matches: number }[];
};

function argValue(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** Deterministic rows of about 2 KB: Korean and English text, numbers, a nested object and a list. */
async function generate(path: string, rows: number): Promise<void> {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const words = ['생각', '수학', '문제', '풀이', '답', 'reasoning', 'model', 'answer', 'think', 'step', '따라서', '그러므로', 'x', 'y=2x+1', '증명'];
  const sentence = (length: number) => {
    const out: string[] = [];
    let bytes = 0;
    while (bytes < length) {
      const word = words[Math.floor(random() * words.length)];
      out.push(word);
      bytes += Buffer.byteLength(word) + 1;
    }
    return out.join(' ');
  };
  const out = createWriteStream(path, { highWaterMark: 4 * 1024 * 1024 });
  for (let i = 0; i < rows; i++) {
    const row = {
      id: i,
      prompt: sentence(700),
      response: `<think>${sentence(900)}</think> ${sentence(150)}`,
      answer: String(Math.floor(random() * 1000)),
      meta: { source: i % 3 === 0 ? 'aime' : 'amc', difficulty: Math.round(random() * 100) / 10, verified: random() > 0.3 },
      tags: ['ko', i % 2 ? 'math' : 'logic'],
    };
    if (!out.write(JSON.stringify(row) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function child(workspaceDir: string, file: string): Promise<void> {
  const { openWorkspace } = await import('../main/store/index.ts');
  const { importDataset } = await import('../main/data/import/index.ts');
  const workspace = await openWorkspace(workspaceDir, { create: true });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await importDataset({
    workspace,
    dataset: 'bench',
    path: file,
    onProgress: (progress) => process.send!({ type: 'progress', ...progress }),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // Search runs over the stored row JSON (no search column is written at import): time it too.
  const search: ChildResult['search'] = [];
  for (const needle of ['증명 y=2X+1 답', 'ABSENT-needle']) {
    const searchStarted = performance.now();
    const searchCpu = process.cpuUsage();
    const page = await workspace.datasets.rows('bench', { search: needle, limit: 10 });
    const used = process.cpuUsage(searchCpu);
    search.push({ needle, seconds: (performance.now() - searchStarted) / 1000, cpuSeconds: (used.user + used.system) / 1e6, matches: page.total });
  }
  await workspace.close();
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const message: ChildResult = {
    imported: result.imported,
    rejected: result.rejected,
    seconds,
    parseAndWriteSeconds: seconds,
    peakRssMiB,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rowsPerSecond: result.imported / seconds,
    mibPerSecond: result.bytes / 1024 / 1024 / seconds,
    search,
  };
  process.send!({ type: 'result', ...message });
  process.disconnect();
}

function packageVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

async function main(): Promise<void> {
  const rows = argValue('--rows', 200_000);
  const dir = join(os.tmpdir(), `saenggak-bench-import-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'rows.jsonl');
  try {
    process.stdout.write(`generating ${rows} rows... `);
    await generate(file, rows);
    const bytes = statSync(file).size;
    console.log(`${(bytes / 1024 / 1024).toFixed(0)} MiB (${(bytes / rows).toFixed(0)} bytes/row)`);

    const delay = monitorEventLoopDelay({ resolution: 1 });
    const worker = fork(fileURLToPath(import.meta.url), ['--child', join(dir, 'workspace'), file], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ChildResult | null = null;
    let progressMessages = 0;
    delay.enable();
    worker.on('message', (message: { type: string } & Record<string, unknown>) => {
      if (message.type === 'progress') progressMessages++;
      else if (message.type === 'result') result = message as unknown as ChildResult;
    });
    const [code] = (await once(worker, 'exit')) as [number | null];
    delay.disable();
    if (code !== 0 || !result) throw new Error(`the import child exited with code ${code}`);
    const r = result as ChildResult;
    const loop = {
      p50Ms: delay.percentile(50) / 1e6,
      p99Ms: delay.percentile(99) / 1e6,
      maxMs: delay.max / 1e6,
    };

    const table = [
      ['rows imported', String(r.imported), ''],
      ['file size', `${(bytes / 1024 / 1024).toFixed(1)} MiB`, ''],
      ['import time', `${r.seconds.toFixed(2)} s`, ''],
      ['rows/s', r.rowsPerSecond.toFixed(0), r.rowsPerSecond >= 50_000 ? 'goal ≥ 50000: met' : 'goal ≥ 50000: MISSED'],
      ['MiB/s', r.mibPerSecond.toFixed(1), ''],
      ['child CPU time', `${r.cpuSeconds.toFixed(2)} s`, `${(r.imported / r.cpuSeconds).toFixed(0)} rows per CPU-second`],
      ['CPU per 100k rows', `${((r.cpuSeconds / r.imported) * 1e5).toFixed(2)} s`, 'user + system, all threads'],
      ['machine load (1 min)', os.loadavg()[0].toFixed(2), `on ${os.cpus().length} cores; other work slows the import`],
      ['child peak RSS', `${r.peakRssMiB.toFixed(0)} MiB`, r.peakRssMiB < 1024 ? 'goal < 1 GiB: met' : 'goal < 1 GiB: MISSED'],
      ['parent loop delay p99', `${loop.p99Ms.toFixed(2)} ms`, loop.p99Ms < 20 ? 'goal < 20 ms: met' : 'goal < 20 ms: MISSED'],
      ['parent loop delay max', `${loop.maxMs.toFixed(2)} ms`, ''],
      ['progress messages', String(progressMessages), ''],
      ...r.search.map((s) => [`search "${s.needle}"`, `${s.seconds.toFixed(2)} s`, `${s.matches} matches, ${s.cpuSeconds.toFixed(2)} CPU-s`]),
    ];
    console.log('');
    for (const [name, value, note] of table) console.log(`${name.padEnd(24)} ${value.padStart(14)}  ${note}`);

    const cpus = os.cpus();
    const report = {
      command: 'npm run bench:import',
      benchmark: 'import',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus[0]?.model ?? 'unknown',
        cores: cpus.length,
        memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        onnxruntime: packageVersion('onnxruntime-node'),
        lancedb: packageVersion('@lancedb/lancedb'),
      },
      input: { rows, bytes, bytesPerRow: Math.round(bytes / rows), format: 'jsonl' },
      result: {
        imported: r.imported,
        rejected: r.rejected,
        seconds: r.seconds,
        rowsPerSecond: Math.round(r.rowsPerSecond),
        mibPerSecond: Math.round(r.mibPerSecond * 10) / 10,
        childPeakRssMiB: Math.round(r.peakRssMiB),
        childCpuSeconds: Math.round(r.cpuSeconds * 100) / 100,
        rowsPerCpuSecond: Math.round(r.imported / r.cpuSeconds),
        cpuSecondsPer100kRows: Math.round((r.cpuSeconds / r.imported) * 1e7) / 100,
        loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
        parentEventLoopDelayMs: loop,
        search: r.search,
      },
      goals: {
        rowsPerSecond: { goal: 50_000, met: r.rowsPerSecond >= 50_000 },
        peakRssMiB: { goal: 1024, met: r.peakRssMiB < 1024 },
        eventLoopP99Ms: { goal: 20, met: loop.p99Ms < 20 },
      },
    };
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'import.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwrote bench/results/import.json`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();
