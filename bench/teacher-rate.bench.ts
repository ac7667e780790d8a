// `npm run bench:teacher-rate`: does generation keep a teacher as busy as its configured concurrency allows?
// A local OpenAI-protocol server answers every chat completion after a fixed latency (plain JSON, or a
// stream of server-sent events spread over the same latency); generation (TeacherClient + the resumable
// response log, fsync included) runs N requests per scenario. With concurrency C and latency L the most a
// client can reach is C / L requests per second (or the configured requests_per_second when lower); the
// goal is >= 90% of that. Prints a table and writes bench/results/teacher-rate.json.
//   npx tsx bench/teacher-rate.bench.ts [--seconds 6]   (about that long per scenario)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateResponses } from '../main/llm/generate.ts';
import { ResponseLog } from '../main/llm/response-log.ts';
import { TeacherClient } from '../main/llm/teacher-client.ts';
import { printTable, writeResult } from './lib/results.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' }, serve: { type: 'boolean', default: false } } });
/** Roughly how long each scenario runs: every concurrency slot makes seconds / latency requests in a row. */
const secondsPerScenario = Number(values.seconds);
const GOAL = 0.9;

/** ~1 KB replies: a thinking block and an answer, as a reasoning teacher writes them. */
function replyText(prompt: string): string {
  return `<think>${'생각을 정리합니다. '.repeat(40)}${prompt}</think>\n답: ${prompt.length}`;
}

/** The fake teacher, run in its own process (`--serve`) so its CPU time is not the client's, as with a real remote server. */
function serve(): void {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; stream?: boolean; messages: { content: string }[] };
      // The model name carries the latency ("latency-50"), so one server serves every scenario.
      const latencyMs = Number(/^latency-(\d+)$/.exec(body.model)?.[1] ?? 50);
      const text = replyText(body.messages.at(-1)!.content);
      const usage = { prompt_tokens: 20, completion_tokens: 300, total_tokens: 320 };
      if (!body.stream) {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage }));
        }, latencyMs);
        return;
      }
      // Stream: the reply in 8 deltas spread over the latency (time to first token included).
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pieces = 8;
      const size = Math.ceil(text.length / pieces);
      let sent = 0;
      const tick = setInterval(() => {
        if (sent < pieces) {
          const delta = { content: text.slice(sent * size, (sent + 1) * size) };
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
          sent++;
          return;
        }
        clearInterval(tick);
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
      }, latencyMs / (pieces + 1));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
  process.stdin.on('end', () => process.exit(0)).resume();
}

async function startServer(): Promise<{ url: string; close: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`teacher server exited (${code})`)));
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return { url: `http://127.0.0.1:${port}/v1`, close: () => child.stdin!.end() };
}

type Scenario = { latencyMs: number; concurrency: number; stream: boolean; requestsPerSecond?: number };
const scenarios: Scenario[] = [
  { latencyMs: 50, concurrency: 1, stream: false },
  { latencyMs: 50, concurrency: 4, stream: false },
  { latencyMs: 50, concurrency: 16, stream: false },
  { latencyMs: 50, concurrency: 16, stream: true },
  { latencyMs: 50, concurrency: 64, stream: false },
  { latencyMs: 500, concurrency: 16, stream: false },
  { latencyMs: 500, concurrency: 64, stream: false },
  { latencyMs: 500, concurrency: 64, stream: true },
  { latencyMs: 500, concurrency: 256, stream: false },
  { latencyMs: 50, concurrency: 64, stream: false, requestsPerSecond: 100 },
];

if (values.serve) {
  serve();
} else {
  await main();
}

async function main(): Promise<void> {
const server = await startServer();
const dir = mkdtempSync(join(tmpdir(), 'saenggak-teacher-rate-'));
const results = [];
try {
  for (const [i, s] of scenarios.entries()) {
    const concurrencyCeiling = s.concurrency / (s.latencyMs / 1000);
    const requests = s.requestsPerSecond
      ? Math.round(s.requestsPerSecond * secondsPerScenario * 2.5)
      : Math.max(20, s.concurrency * Math.max(4, Math.round((secondsPerScenario * 1000) / s.latencyMs)));
    const prompts = Array.from({ length: requests }, (_, k) => ({ id: `p${k}`, prompt: `문제 ${k}: ${k} 더하기 ${k * 3}은?` }));
    const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: `latency-${s.latencyMs}`, concurrency: s.concurrency, stream: s.stream, requestsPerSecond: s.requestsPerSecond });
    const log = ResponseLog.open(join(dir, `responses-${i}.jsonl`));
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await generateResponses({ prompts, teachers: [teacher], samplesPerPrompt: 1, log });
    const seconds = (performance.now() - t0) / 1000;
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    log.close();
    teacher.close();
    if (summary.failed || summary.generatedNow !== requests) throw new Error(`scenario ${i}: ${summary.failed} failed, ${summary.generatedNow} of ${requests} generated`);
    // A rate-capped teacher's bucket starts full (a burst of ceil(rate) requests), then refills at the
    // rate: N requests take at least (N - burst) / rate seconds.
    const burst = s.requestsPerSecond ? Math.ceil(s.requestsPerSecond) : 0;
    const ceiling = s.requestsPerSecond ? Math.min(concurrencyCeiling, (s.requestsPerSecond * requests) / (requests - burst)) : concurrencyCeiling;
    const rate = requests / seconds;
    results.push({ ...s, requests, seconds, requests_per_second: rate, ceiling_per_second: ceiling, efficiency: rate / ceiling, event_loop_utilization: elu.utilization,
      // Per request: event-loop busy time (wall clock, inflated when other processes take the cores) and the
      // client process's CPU time (all threads: fsync and the thread pool included).
      client_loop_ms_per_request: elu.active / requests,
      client_cpu_ms_per_request: (cpu.user + cpu.system) / 1000 / requests,
      meets_goal: rate / ceiling >= GOAL });
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

printTable([
  ['latency ms', 'concurrency', 'mode', 'rps cap', 'requests', 'seconds', 'req/s', 'ceiling req/s', 'efficiency', `>= ${GOAL}`, 'client busy', 'loop ms/req', 'cpu ms/req'],
  ...results.map((r) => [String(r.latencyMs), r.concurrency, r.stream ? 'stream' : 'json', r.requestsPerSecond ?? '-', r.requests, r.seconds, r.requests_per_second, r.ceiling_per_second, r.efficiency, r.meets_goal ? 'yes' : 'NO', r.event_loop_utilization, r.client_loop_ms_per_request, r.client_cpu_ms_per_request]),
]);
const path = writeResult('teacher-rate', { load_average_at_end: os.loadavg(), goal: { efficiency: GOAL }, reply_bytes: Buffer.byteLength(replyText('문제 0: 0 더하기 0은?')), scenarios: results, all_meet_goal: results.every((r) => r.meets_goal) });
console.log(`\nwrote ${path}`);
}
