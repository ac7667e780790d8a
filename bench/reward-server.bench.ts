// Reward server benchmark: scores/s through HTTP (POST /v1/rewards, batches of 256) against computeRewards
// in process on the main thread, and the batch latency percentiles seen by the client.
//
//   npm run bench:reward-server [-- --batches N --batch 256]
//
// Goal: HTTP throughput ≥ 50% of in-process, p99 batch latency < 1 s. The server's worker pool is sized to
// the cores; the client runs in this process too (as verl's would on its own machine, it costs CPU here).
// Writes bench/results/reward-server.json.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeRewards, type RewardConfig, type RewardSample } from '../main/rewards/index.ts';
import { startRewardServer } from '../main/export/reward-server.ts';
import { percentile } from '../main/export/reward-metrics.ts';
import { printTable, writeResult } from './lib/results.ts';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const BATCH = argValue('--batch', 256);
const BATCHES = argValue('--batches', 24);
const CONFIG: RewardConfig = { accuracy: { weight: 1 }, format: { weight: 0.2, requireAnswer: 'boxed' }, language: { weight: 0.5 } };

let seed = 20261123;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const PROSE = ['먼저 문제의 조건을 정리해 보자.', '주어진 식을 변형하면 다음과 같다.', '따라서 다음이 성립한다.', '검산을 위해 값을 대입해 보면 일치한다.', '잠깐, 부호를 다시 확인해 보자.', 'Let me double-check this step.'];
const MATH = ['$x^2 - 5x + 6 = 0$', '$\\frac{3}{4} + \\frac{1}{8}$', '$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$', '12 × 7 = 84'];
const ANSWERS: [string, string][] = [['42', '42'], ['\\frac{3}{4}', '0.75'], ['2\\sqrt{3}', '\\sqrt{12}'], ['(1, 2)', '(1,2)'], ['17', '18']];

/** A ~2 KB Korean reasoning response with math, and its gold answer. */
function sample(): RewardSample & { ground_truth: string; lang: string } {
  const parts: string[] = [];
  let length = 0;
  while (length < 2000) {
    const piece = random() < 0.7 ? pick(PROSE) : pick(MATH);
    parts.push(piece);
    length += piece.length + 1;
  }
  const [pred, gold] = pick(ANSWERS);
  const response = `<think>\n${parts.join(' ')}\n</think>\n따라서 정답은 \\boxed{${pred}} 입니다.`;
  return { prompt: '다음 문제를 풀어라.', response, gold, target: 'ko', ground_truth: gold, lang: 'ko' };
}

const batches = Array.from({ length: BATCHES }, () => Array.from({ length: BATCH }, sample));
const items = batches.flat().length;

// In process: computeRewards on the main thread (warm-up batch first).
await computeRewards(batches[0], CONFIG);
let t = performance.now();
for (const batch of batches) await computeRewards(batch, CONFIG);
const inProcessSeconds = (performance.now() - t) / 1000;

const server = await startRewardServer({ config: CONFIG, token: 'bench' });
const bodies = batches.map((b) => JSON.stringify({ items: b.map((s) => ({ prompt: s.prompt, response: s.response, ground_truth: s.ground_truth, lang: s.lang, data_source: 'bench' })) }));
async function post(body: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${server.origin}/v1/rewards`, { method: 'POST', headers: { authorization: 'Bearer bench', 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { results: unknown[] };
  if (res.status !== 200 || json.results.length !== BATCH) throw new Error(`bad reply ${res.status}`);
  return performance.now() - started;
}

type HttpRun = { inFlight: number; seconds: number; latencies: number[] };
async function httpRun(inFlight: number): Promise<HttpRun> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) latencies.push(await post(bodies[next++]));
    }),
  );
  return { inFlight, seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

/**
 * verl's view: main/export/verl/saenggak_reward.py's compute_score_batch on all responses at once (it splits
 * them into requests of 256, 4 in flight), timed inside python3 so interpreter start-up is not counted.
 */
async function pythonClientSeconds(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'saenggak-bench-'));
  try {
    const flat = batches.flat();
    writeFileSync(join(dir, 'items.json'), JSON.stringify({ solutions: flat.map((s) => s.response), golds: flat.map((s) => s.ground_truth), extras: flat.map((s) => ({ prompt: s.prompt, language: s.lang })) }));
    const script = [
      'import json, sys, time',
      'sys.path.insert(0, sys.argv[1])',
      'import saenggak_reward as sr',
      'job = json.load(open(sys.argv[2], encoding="utf-8"))',
      'n = len(job["solutions"])',
      'sr.compute_score_batch(["bench"] * 256, job["solutions"][:256], job["golds"][:256], job["extras"][:256])',
      't = time.perf_counter()',
      'scores = sr.compute_score_batch(["bench"] * n, job["solutions"], job["golds"], job["extras"])',
      'print(time.perf_counter() - t)',
    ].join('\n');
    // Asynchronously: the server answering it runs on this thread.
    const { stdout } = await promisify(execFile)('python3', ['-c', script, resolve(import.meta.dirname, '../main/export/verl'), join(dir, 'items.json')], {
      env: { ...process.env, SAENGGAK_REWARD_URL: server.origin, SAENGGAK_REWARD_TOKEN: 'bench', SAENGGAK_REWARD_MAX_BATCH: String(BATCH) },
    });
    return Number(stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await post(bodies[0]); // warm-up: workers compile the scorers
const runs: HttpRun[] = [];
for (const inFlight of [1, 2, 4]) runs.push(await httpRun(inFlight));
const pythonSeconds = await pythonClientSeconds();
await server.close();

const inProcessRate = items / inProcessSeconds;
const rows: (string | number)[][] = [['mode', 'scores/s', 'vs in-process', 'p50 ms', 'p90 ms', 'p99 ms']];
rows.push(['in-process (main thread)', inProcessRate, 1, '', '', '']);
const httpResults = runs.map((r) => {
  const rate = items / r.seconds;
  const p = (q: number) => percentile(r.latencies, q)!;
  rows.push([`HTTP, ${r.inFlight} batch(es) in flight`, rate, rate / inProcessRate, p(0.5), p(0.9), p(0.99)]);
  return { inFlight: r.inFlight, scoresPerSecond: rate, ratioToInProcess: rate / inProcessRate, latencyMs: { p50: p(0.5), p90: p(0.9), p99: p(0.99) } };
});
const pythonRate = items / pythonSeconds;
rows.push(['Python client (verl batch), 4 in flight', pythonRate, pythonRate / inProcessRate, '', '', '']);
console.log(`\n${BATCHES} batches × ${BATCH} responses (~2 KB Korean with math), ${availableParallelism()} workers\n`);
printTable(rows);
const best = httpResults.reduce((a, b) => (b.scoresPerSecond > a.scoresPerSecond ? b : a));
const goals = { ratioAtLeast: 0.5, p99BelowMs: 1000, met: best.ratioToInProcess >= 0.5 && httpResults.every((r) => r.latencyMs.p99 < 1000) };
console.log(`\ngoal ≥ 50% of in-process and p99 < 1 s: ${goals.met ? 'met' : 'NOT met'}`);
const path = writeResult('reward-server', { batch: BATCH, batches: BATCHES, config: CONFIG, workers: availableParallelism(), inProcess: { scoresPerSecond: inProcessRate }, http: httpResults, pythonClient: { scoresPerSecond: pythonRate, ratioToInProcess: pythonRate / inProcessRate }, goals });
console.log(`wrote ${path}`);
