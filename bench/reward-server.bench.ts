// Reward server benchmark: scores/s through HTTP (POST /v1/rewards, batches of 256) against scoring in
// process, and the batch latency percentiles seen by the client.
//
//   npm run bench:reward-server [-- --batches N --batch 256]
//
// Goal: HTTP throughput ≥ 50% of in-process, p99 batch latency < 1 s.
//
// What is compared with what:
// - "in-process": computeRewards on the main thread, one batch at a time: one core, no copies, no JSON
//   (what a trainer calling the rewards in its own process gets). This is the 100% line.
// - "worker pool": the server's scoring without HTTP (RewardPool.score, one batch at a time over the
//   workers), to separate the cost of HTTP and JSON from the scoring.
// - "HTTP": the real server, N batches in flight from a client in this process (node:http with keep-alive;
//   undici's fetch costs ~10 ms more CPU per 900 KiB round trip, on the thread the server shares: the
//   bench measures both and reports the difference). Request bodies are encoded once up front (verl's
//   client runs on another machine; its JSON encoding is not this machine's work), but the client's
//   sending of each body and reading of each reply are on this machine and are counted. "main-thread parse" is the
//   server with body decoding on its own thread (as before the workers decoded their items), measured in
//   the same run, alternating with "HTTP", for comparison.
// - "Python client": main/export/verl/saenggak_reward.py's compute_score_batch, as verl calls it.
// The worker pool is sized to the cores; with 2 cores the client and the server's thread share them.
//
// Where the time goes: a breakdown of one round trip at one batch in flight (client, socket, the server's
// phases from its Server-Timing header, the workers' summed decode/score/serialise times), of the worker
// pool against one thread, and the CPU time per batch of each mode (process.cpuUsage: every thread of this
// process, so the in-process client too; less skewed by other load than wall time).
// Writes bench/results/reward-server.json.
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeRewards, type RewardConfig, type RewardSample } from '../main/rewards/index.ts';
import { startRewardServer, type RunningRewardServer } from '../main/reward-server/server.ts';
import { emptyPoolTrace, RewardPool, type PoolTrace } from '../main/reward-server/pool.ts';
import { splitRewardItems } from '../main/reward-server/request-split.ts';
import { scoreSample, scoreSamples } from '../main/reward-server/scoring.ts';
import { percentile } from '../main/reward-server/metrics.ts';
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
const loadAtStart = loadavg();

/** CPU time of this process (every thread) since `since`, ms. */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Seconds for `run` over every batch, after one warm-up batch; `cpu.ms` gets the CPU time added. */
async function timed(run: (batch: (typeof batches)[number], i: number) => unknown, cpu?: { ms: number }): Promise<number> {
  await run(batches[0], 0);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < batches.length; i++) await run(batches[i], i);
  const seconds = (performance.now() - started) / 1000;
  if (cpu) cpu.ms += cpuMsSince(cpuStart);
  return seconds;
}

/** The q-quantile (nearest rank) of each field over rows of numbers. */
function quantiles<K extends string>(rows: readonly Record<K, number>[], q: number): Record<K, number> {
  const at = (xs: number[]) => percentile(xs.sort((a, b) => a - b), q)!;
  return Object.fromEntries(Object.keys(rows[0]).map((k) => [k, at(rows.map((r) => r[k as K]))])) as Record<K, number>;
}
const medians = <K extends string>(rows: readonly Record<K, number>[]) => quantiles(rows, 0.5);

// Rows that are compared are measured in alternation (A B A B, times summed), so a change of load during
// the run, or the process warming up, does not favour whichever ran last.
const ROUNDS = 2;

// In process (computeRewards on the main thread) and the worker pool alone, one batch at a time.
const pool = await RewardPool.start({ config: CONFIG });
let inProcessSeconds = 0;
let poolSeconds = 0;
const inProcessCpu = { ms: 0 };
const poolCpu = { ms: 0 };
const poolTraces: (PoolTrace & { wallMs: number })[] = [];
// Every mode gets one full pass before it is timed, so each is measured with its code compiled by the JIT
// (the workers are separate isolates: a few batches leave them much colder than the main thread).
for (const batch of batches) {
  await computeRewards(batch, CONFIG);
  await pool.score(batch);
}
for (let round = 0; round < ROUNDS; round++) {
  inProcessSeconds += await timed((batch) => computeRewards(batch, CONFIG), inProcessCpu);
  poolSeconds += await timed(async (batch) => {
    const trace = emptyPoolTrace();
    const started = performance.now();
    await pool.score(batch, trace);
    poolTraces.push({ ...trace, wallMs: performance.now() - started });
  }, poolCpu);
}
await pool.close();

// The pool against one thread: the workers' summed busy time per batch against the batch's wall time
// (utilisation), and what scoring a sample per computeRewards call (as the workers did before) costs
// against a call per chunk of 16 (now) and one call per batch (in-process), on this thread.
const poolTrace = medians(poolTraces);
const perCallCpu = { perSample: { ms: 0 }, perChunk: { ms: 0 }, perBatch: { ms: 0 } };
for (let round = 0; round < ROUNDS; round++) {
  await timed(async (batch) => {
    for (const s of batch) await scoreSample(s, CONFIG);
  }, perCallCpu.perSample);
  await timed(async (batch) => {
    for (let k = 0; k < batch.length; k += 16) await scoreSamples(batch.slice(k, k + 16), CONFIG);
  }, perCallCpu.perChunk);
  await timed((batch) => computeRewards(batch, CONFIG), perCallCpu.perBatch);
}
const cpuPerBatch = (cpu: { ms: number }, rounds = ROUNDS) => cpu.ms / (rounds * BATCHES);
const poolVsOneThread = {
  inProcessWallMs: (1000 * inProcessSeconds) / (ROUNDS * BATCHES),
  poolWallMs: poolTrace.wallMs,
  workers: availableParallelism(),
  workerBusyMsSummed: poolTrace.busyMs,
  workerUtilisation: poolTrace.busyMs / (poolTrace.wallMs * availableParallelism()),
  dispatchMs: poolTrace.dispatchMs,
  chunks: poolTrace.chunks,
  cpuMsPerBatch: { inProcess: cpuPerBatch(inProcessCpu), pool: cpuPerBatch(poolCpu) },
  scoringCpuMsPerBatchOnOneThread: {
    computeRewardsPerSample: cpuPerBatch(perCallCpu.perSample),
    computeRewardsPerChunkOf16: cpuPerBatch(perCallCpu.perChunk),
    computeRewardsPerBatch: cpuPerBatch(perCallCpu.perBatch),
  },
};

// JSON costs per batch on the server's thread: the old whole-body decode + parse, the byte scan that
// replaced it, and serialising a reply (which the workers now do for their own items).
const bodies = batches.map((b) => new TextEncoder().encode(JSON.stringify({ items: b.map((s) => ({ prompt: s.prompt, response: s.response, ground_truth: s.ground_truth, lang: s.lang, data_source: 'bench' })) })));
const replies = await Promise.all(batches.slice(0, 2).map((b) => Promise.all(b.map((s) => scoreSample(s, CONFIG)))));
const perBatchMs = async (run: (i: number) => unknown) => ((await timed((_, i) => run(i))) * 1000) / batches.length;
const jsonCosts = {
  requestBytes: bodies[0].length,
  replyBytes: Buffer.byteLength(JSON.stringify({ results: replies[0] })),
  decodeAndParseMs: await perBatchMs((i) => JSON.parse(Buffer.from(bodies[i].buffer, bodies[i].byteOffset, bodies[i].byteLength).toString('utf8'))),
  splitScanMs: await perBatchMs((i) => splitRewardItems(bodies[i])),
  serialiseReplyMs: await perBatchMs((i) => JSON.stringify({ results: replies[i % 2] })),
  clientEncodeMs: await perBatchMs((i) => Buffer.from(JSON.stringify({ items: batches[i].map((s) => ({ prompt: s.prompt, response: s.response, ground_truth: s.ground_truth })) }))),
};

const agent = new Agent({ keepAlive: true });

/** One round trip's times (ms from the start) and the reply's Server-Timing. */
type RoundTrip = { headersAt: number; bodyAt: number; parsedAt: number; serverTiming: Record<string, number> };

/** POSTs a body with node:http and parses the reply; checks it is a full batch of results. */
function roundTrip(server: RunningRewardServer, body: Uint8Array): Promise<RoundTrip> {
  const started = performance.now();
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolveTrip, reject) => {
    const req = request(
      { hostname, port, path: '/v1/rewards', method: 'POST', agent, headers: { authorization: 'Bearer bench', 'content-type': 'application/json', 'content-length': body.byteLength } },
      (res) => {
        const headersAt = performance.now() - started;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const bodyAt = performance.now() - started;
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { results: unknown[] };
          const parsedAt = performance.now() - started;
          if (res.statusCode !== 200 || json.results.length !== BATCH) reject(new Error(`bad reply ${res.statusCode}`));
          else resolveTrip({ headersAt, bodyAt, parsedAt, serverTiming: parseServerTiming(String(res.headers['server-timing'] ?? '')) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `read;dur=3.1, chunks;desc=16` → {read: 3.1, chunks: 16}. */
function parseServerTiming(header: string): Record<string, number> {
  return Object.fromEntries(
    header
      .split(',')
      .filter((entry) => entry.includes(';'))
      .map((entry) => {
        const [name, param] = entry.trim().split(';');
        return [name, Number(param.split('=')[1])];
      }),
  );
}

async function post(server: RunningRewardServer, body: Uint8Array): Promise<number> {
  return (await roundTrip(server, body)).parsedAt;
}

/** The same round trip with undici's fetch, for the client-cost comparison. */
async function postWithFetch(server: RunningRewardServer, body: Uint8Array<ArrayBuffer>): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${server.origin}/v1/rewards`, { method: 'POST', headers: { authorization: 'Bearer bench', 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { results: unknown[] };
  if (res.status !== 200 || json.results.length !== BATCH) throw new Error(`bad reply ${res.status}`);
  return performance.now() - started;
}

type HttpRun = { mode: string; inFlight: number; seconds: number; latencies: number[]; cpuMs: number };
async function httpRun(server: RunningRewardServer, mode: string, inFlight: number): Promise<HttpRun> {
  const latencies: number[] = [];
  let next = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) latencies.push(await post(server, bodies[next++]));
    }),
  );
  return { mode, inFlight, seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b), cpuMs: cpuMsSince(cpuStart) };
}

/**
 * verl's view: main/export/verl/saenggak_reward.py's compute_score_batch on all responses at once (it splits
 * them into requests of 256, 4 in flight), timed inside python3 so interpreter start-up is not counted.
 */
async function pythonClientSeconds(server: RunningRewardServer): Promise<number> {
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

// Both servers run side by side (the idle one's workers cost nothing) so their runs can alternate.
const current = await startRewardServer({ config: CONFIG, token: 'bench' });
const mainThreadParse = await startRewardServer({ config: CONFIG, token: 'bench', parseInWorkers: false });
for (const body of bodies) await Promise.all([post(current, body), post(mainThreadParse, body)]); // a full warm-up pass, as above
const runs: HttpRun[] = [];
for (const inFlight of [1, 2, 4]) {
  const servers: [RunningRewardServer, string][] = inFlight <= 2 ? [[current, 'HTTP'], [mainThreadParse, 'HTTP, main-thread parse']] : [[current, 'HTTP']];
  for (const [, mode] of servers) runs.push({ mode, inFlight, seconds: 0, latencies: [], cpuMs: 0 });
  for (let round = 0; round < ROUNDS; round++) {
    for (const [server, mode] of servers) {
      const run = await httpRun(server, mode, inFlight);
      const total = runs.find((r) => r.mode === mode && r.inFlight === inFlight)!;
      total.seconds += run.seconds;
      total.cpuMs += run.cpuMs;
      total.latencies.push(...run.latencies);
    }
  }
}
for (const run of runs) run.latencies.sort((a, b) => a - b);
await mainThreadParse.close();

// One round trip at one batch in flight, phase by phase (medians over the batches). The server's phases
// come from its Server-Timing header; "outside the server" is the rest of the time to the reply's headers:
// the client sending the body before the server's handler runs, the socket, and scheduling.
function tripPhases(trip: RoundTrip, workers: number) {
  const st = trip.serverTiming;
  const serverMs = st.read + st.split + st.pool + st.join;
  return {
    roundTripMs: trip.parsedAt,
    toReplyHeadersMs: trip.headersAt,
    outsideServerMs: trip.headersAt - serverMs,
    serverReadBodyMs: st.read,
    serverScanItemsMs: st.split,
    serverDispatchMs: st.dispatch,
    serverScoringWallMs: st.pool,
    serverJoinReplyMs: st.join,
    workersDecodeMsSummed: st['w-decode'],
    workersScoreMsSummed: st['w-score'],
    workersSerialiseMsSummed: st['w-serialise'],
    workersBusyMsSummed: st['w-busy'],
    workerUtilisation: st['w-busy'] / (st.pool * workers),
    replyTransferMs: trip.bodyAt - trip.headersAt,
    clientParseMs: trip.parsedAt - trip.bodyAt,
  };
}
const trips: ReturnType<typeof tripPhases>[] = [];
for (const body of bodies) trips.push(tripPhases(await roundTrip(current, body), current.workers));
// The bench's own client: node:http against undici's fetch, CPU per round trip, alternating.
const clientCpu = { nodeHttp: { ms: 0 }, fetch: { ms: 0 } };
for (let round = 0; round < ROUNDS; round++) {
  await timed((_, i) => post(current, bodies[i]), clientCpu.nodeHttp);
  await timed((_, i) => postWithFetch(current, bodies[i]), clientCpu.fetch);
}
// The slowest tenth of round trips, phase by phase: which phase the latency spread comes from.
const roundTripP90 = quantiles(trips, 0.9);
const roundTripBreakdown = {
  ...medians(trips),
  clientEncodeMs: jsonCosts.clientEncodeMs,
  clientCpuMsPerRoundTrip: { nodeHttp: cpuPerBatch(clientCpu.nodeHttp), fetch: cpuPerBatch(clientCpu.fetch), note: 'whole round trip, server included; the difference is the client' },
};
const pythonSeconds = await pythonClientSeconds(current);
await current.close();

const inProcessRate = (ROUNDS * items) / inProcessSeconds;
const poolRate = (ROUNDS * items) / poolSeconds;
const rows: (string | number)[][] = [['mode', 'scores/s', 'vs in-process', 'p50 ms', 'p90 ms', 'p99 ms', 'CPU ms/batch']];
rows.push(['in-process (computeRewards, main thread)', inProcessRate, 1, '', '', '', cpuPerBatch(inProcessCpu)]);
rows.push([`worker pool, no HTTP (${availableParallelism()} workers)`, poolRate, poolRate / inProcessRate, '', '', '', cpuPerBatch(poolCpu)]);
const httpResults = runs.map((r) => {
  const rate = (ROUNDS * items) / r.seconds;
  const p = (q: number) => percentile(r.latencies, q)!;
  rows.push([`${r.mode}, ${r.inFlight} batch(es) in flight`, rate, rate / inProcessRate, p(0.5), p(0.9), p(0.99), r.cpuMs / (ROUNDS * BATCHES)]);
  return { mode: r.mode, inFlight: r.inFlight, scoresPerSecond: rate, ratioToInProcess: rate / inProcessRate, latencyMs: { p50: p(0.5), p90: p(0.9), p99: p(0.99) }, cpuMsPerBatch: r.cpuMs / (ROUNDS * BATCHES) };
});
const pythonRate = items / pythonSeconds;
rows.push(['Python client (verl batch), 4 in flight', pythonRate, pythonRate / inProcessRate, '', '', '', '']);
console.log(`\n${BATCHES} batches × ${BATCH} responses (~2 KB Korean with math), ${availableParallelism()} workers; load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}\n`);
printTable(rows);
console.log(`\nJSON per batch of ${BATCH} (${(jsonCosts.requestBytes / 2 ** 10).toFixed(0)} KiB request, ${(jsonCosts.replyBytes / 2 ** 10).toFixed(0)} KiB reply), ms on one thread:`);
printTable([
  ['step', 'ms'],
  ['decode + JSON.parse the request (main-thread parse)', jsonCosts.decodeAndParseMs],
  ['scan item boundaries (now, on the server thread)', jsonCosts.splitScanMs],
  ['JSON.stringify the reply (now split over the workers)', jsonCosts.serialiseReplyMs],
  ['client: JSON.stringify + UTF-8 encode the request', jsonCosts.clientEncodeMs],
]);
const b = roundTripBreakdown;
const p9 = roundTripP90;
console.log(`\nOne round trip, one batch in flight (median and p90 over ${BATCHES} batches), ms; "Σ workers" sums the ${current.workers} workers:`);
printTable([
  ['phase', 'p50', 'p90'],
  ['(client JSON.stringify + encode: done before the clock starts, as verl does it elsewhere)', b.clientEncodeMs, ''],
  ['client send + socket + scheduling (outside the server handler)', b.outsideServerMs, p9.outsideServerMs],
  ['server: collect the body', b.serverReadBodyMs, p9.serverReadBodyMs],
  ['server: scan item boundaries', b.serverScanItemsMs, p9.serverScanItemsMs],
  ['server: scoring, wall (hand-off, workers, results back)', b.serverScoringWallMs, p9.serverScoringWallMs],
  ['  of which hand-off to workers (this thread)', b.serverDispatchMs, p9.serverDispatchMs],
  ['  Σ workers: decode + JSON.parse + validate', b.workersDecodeMsSummed, p9.workersDecodeMsSummed],
  ['  Σ workers: score', b.workersScoreMsSummed, p9.workersScoreMsSummed],
  ['  Σ workers: serialise results', b.workersSerialiseMsSummed, p9.workersSerialiseMsSummed],
  ['  worker utilisation (Σ busy / (wall × workers))', b.workerUtilisation, ''],
  ['server: join the reply', b.serverJoinReplyMs, p9.serverJoinReplyMs],
  ['reply transfer (headers to last byte)', b.replyTransferMs, p9.replyTransferMs],
  ['client: JSON.parse the reply', b.clientParseMs, p9.clientParseMs],
  ['round trip', b.roundTripMs, p9.roundTripMs],
  ['CPU per round trip, node:http client (server included)', b.clientCpuMsPerRoundTrip.nodeHttp, ''],
  ['CPU per round trip, fetch client (server included)', b.clientCpuMsPerRoundTrip.fetch, ''],
]);
const pv = poolVsOneThread;
console.log(`\nWorker pool (no HTTP) against one thread, per batch:`);
printTable([
  ['measure', 'value'],
  ['in-process wall ms', pv.inProcessWallMs],
  ['pool wall ms', pv.poolWallMs],
  [`Σ workers busy ms (${pv.workers} workers)`, pv.workerBusyMsSummed],
  ['worker utilisation', pv.workerUtilisation],
  ['hand-off ms (this thread)', pv.dispatchMs],
  ['CPU ms: in-process / pool', `${pv.cpuMsPerBatch.inProcess.toFixed(1)} / ${pv.cpuMsPerBatch.pool.toFixed(1)}`],
  ['scoring CPU ms on one thread: computeRewards per sample', pv.scoringCpuMsPerBatchOnOneThread.computeRewardsPerSample],
  ['  per chunk of 16 (what the workers do now)', pv.scoringCpuMsPerBatchOnOneThread.computeRewardsPerChunkOf16],
  ['  per batch (in-process)', pv.scoringCpuMsPerBatchOnOneThread.computeRewardsPerBatch],
]);
const ours = httpResults.filter((r) => r.mode === 'HTTP');
const lone = ours.find((r) => r.inFlight === 1)!;
const best = ours.reduce((a, b) => (b.scoresPerSecond > a.scoresPerSecond ? b : a));
const goals = {
  ratioAtLeast: 0.5,
  p99BelowMs: 1000,
  oneInFlightRatio: lone.ratioToInProcess,
  bestRatio: best.ratioToInProcess,
  met: lone.ratioToInProcess >= 0.5 && ours.every((r) => r.latencyMs.p99 < 1000),
};
console.log(
  `\ngoal: HTTP ≥ 50% of in-process and p99 < 1 s → one batch in flight ${(100 * lone.ratioToInProcess).toFixed(0)}%, best ${(100 * best.ratioToInProcess).toFixed(0)}% ` +
    `(${best.inFlight} in flight), worst p99 ${Math.max(...ours.map((r) => r.latencyMs.p99)).toFixed(0)} ms: ${goals.met ? 'met' : 'NOT met'}`,
);
console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (measurements under load are noisy; compare rows of the same run)`);
const path = writeResult('reward-server', {
  batch: BATCH,
  batches: BATCHES,
  config: CONFIG,
  workers: availableParallelism(),
  loadAverageAtStart: loadAtStart,
  inProcess: { scoresPerSecond: inProcessRate, what: 'computeRewards on the main thread, one batch at a time' },
  workerPool: { scoresPerSecond: poolRate, ratioToInProcess: poolRate / inProcessRate },
  http: httpResults,
  pythonClient: { scoresPerSecond: pythonRate, ratioToInProcess: pythonRate / inProcessRate },
  jsonPerBatchMs: jsonCosts,
  roundTripBreakdownMs: roundTripBreakdown,
  roundTripBreakdownP90Ms: roundTripP90,
  poolVsOneThread,
  goals,
});
console.log(`wrote ${path}`);
