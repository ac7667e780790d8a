// The reward server against a real client: main/export/verl/saenggak_reward.py runs under this machine's
// python3 against a live server, and its scores must equal computeRewards in process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeRewards, type RewardConfig, type RewardSample } from '../../../main/rewards/index.ts';
import { loadRewardConfigFile } from '../../../main/reward-server/config.ts';
import { startRewardServer, type RunningRewardServer } from '../../../main/reward-server/server.ts';
import { rewardCases, type RewardCase } from './fixtures/reward-cases.ts';
import { SPIN_MARKER } from './fixtures/spin-scorer.ts';

const CLIENT_DIR = resolve(import.meta.dirname, '../../../main/export/verl');
const SPIN_SCORER = new URL('./fixtures/spin-scorer.ts', import.meta.url).href;

// Calls the client the way verl does: compute_score per response, compute_score_batch per batch.
const PYTHON_RUNNER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import saenggak_reward as sr
job = json.load(open(sys.argv[2], encoding="utf-8"))
def extra(c):
    prompt = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": c["prompt"]}] if c.get("chat") else c["prompt"]
    return {"index": 0, "language": c["lang"], "prompt": prompt}
cases = job["cases"]
out = {}
try:
    if job["mode"] in ("single", "both"):
        out["single"] = [sr.compute_score(c["data_source"], c["response"], c["ground_truth"], extra(c)) for c in cases]
    if job["mode"] in ("batch", "both"):
        out["batch"] = sr.compute_score_batch([c["data_source"] for c in cases], [c["response"] for c in cases],
                                              [c["ground_truth"] for c in cases], [extra(c) for c in cases], return_dict=True)
except sr.RewardServerError as error:
    print("RewardServerError: " + str(error), file=sys.stderr)
    sys.exit(3)
# JSON has no NaN: components that did not apply come back as null.
clean = lambda v: None if isinstance(v, float) and v != v else v
out = {k: [({n: clean(x) for n, x in r.items()} if isinstance(r, dict) else r) for r in v] for k, v in out.items()}
print(json.dumps(out))
`;

let dir: string;
let config: RewardConfig;
let server: RunningRewardServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saenggak-reward-server-'));
  await writeFile(join(dir, 'runner.py'), PYTHON_RUNNER);
  await writeFile(join(dir, 'rewards.yaml'), 'rewards:\n  accuracy: { weight: 1.0 }\n  format: { weight: 0.25, requireAnswer: boxed }\n  language: { weight: 0.5 }\n');
  config = await loadRewardConfigFile(join(dir, 'rewards.yaml'));
  server = await startRewardServer({ config, token: 'test-token-1234', workers: 2 });
});

after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

type PythonRun = { code: number; stdout: string; stderr: string };

async function runPython(cases: RewardCase[], mode: 'single' | 'batch' | 'both', env: Record<string, string>): Promise<PythonRun> {
  const job = join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(job, JSON.stringify({ mode, cases }));
  return new Promise((done) => {
    execFile('python3', [join(dir, 'runner.py'), CLIENT_DIR, job], { env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The in-process reference, mapping each case to a RewardSample by hand (not through the server's code). */
async function inProcess(cases: RewardCase[]) {
  const samples: RewardSample[] = cases.map((c) => ({
    prompt: c.prompt,
    response: c.response,
    gold: c.ground_truth === null ? null : String(c.ground_truth),
    target: c.lang ?? undefined,
  }));
  return computeRewards(samples, config);
}

const clientEnv = () => ({ SAENGGAK_REWARD_URL: server.origin, SAENGGAK_REWARD_TOKEN: server.token, SAENGGAK_REWARD_RETRIES: '2' });

test('the Python client scores 120 Korean, math and hacking cases exactly as computeRewards does in process', async () => {
  const cases = rewardCases(120);
  const run = await runPython(cases, 'both', { ...clientEnv(), SAENGGAK_REWARD_MAX_BATCH: '50' });
  assert.equal(run.code, 0, run.stderr);
  const { single, batch } = JSON.parse(run.stdout) as { single: number[]; batch: Record<string, number | null>[] };
  const expected = await inProcess(cases);
  assert.equal(single.length, 120);
  assert.equal(batch.length, 120);
  for (let i = 0; i < cases.length; i++) {
    assert.equal(single[i], expected[i].total, `case ${i} (compute_score): ${cases[i].response.slice(0, 60)}`);
    assert.equal(batch[i].score, expected[i].total, `case ${i} (compute_score_batch)`);
    for (const [name, component] of Object.entries(expected[i].components)) {
      // null: the component did not apply (the client returns NaN, which JSON carries as null).
      assert.equal(batch[i][name], component!.score, `case ${i} component ${name}`);
    }
  }
  // The cases really cover what they claim: right and wrong answers, and the language reward biting.
  const totals = new Set(expected.map((e) => e.total));
  assert.ok(totals.size >= 6, `only ${totals.size} distinct totals`);
  assert.ok(expected.some((e) => e.components.accuracy?.score === 1) && expected.some((e) => e.components.accuracy?.score === 0));
  assert.ok(expected.some((e) => (e.components.language?.score ?? 1) < 0.5));
});

test('the HTTP response carries every component with its weight and reason', async () => {
  const cases = rewardCases(6);
  const res = await fetch(`${server.origin}/v1/rewards`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items: cases.map(({ chat: _chat, ...item }) => item) }),
  });
  assert.equal(res.status, 200);
  const { results } = (await res.json()) as { results: { score: number; components: Record<string, { score: number | null; weight: number; reason: string }>; reasons: string[] }[] };
  const expected = await inProcess(cases);
  results.forEach((r, i) => {
    assert.equal(r.score, expected[i].total);
    assert.deepEqual(Object.keys(r.components).sort(), ['accuracy', 'format', 'language']);
    assert.equal(r.components.format.weight, 0.25);
    assert.equal(r.components.language.reason, expected[i].components.language!.reason);
    assert.deepEqual(r.reasons, expected[i].reasons);
  });
});

test('a scored batch says in Server-Timing where its time went on the server', async () => {
  const cases = rewardCases(40);
  const res = await fetch(`${server.origin}/v1/rewards`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ items: cases.map(({ chat: _chat, ...item }) => item) }),
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const header = res.headers.get('server-timing') ?? assert.fail('no Server-Timing header');
  const metrics = new Map(header.split(', ').map((entry) => {
    const [name, param] = entry.split(';');
    return [name, Number(param.split('=')[1])] as const;
  }));
  assert.deepEqual([...metrics.keys()], ['read', 'split', 'pool', 'join', 'dispatch', 'w-decode', 'w-score', 'w-serialise', 'w-busy', 'chunks']);
  for (const [name, value] of metrics) assert.ok(Number.isFinite(value) && value >= 0, `${name}=${value}`);
  assert.equal(metrics.get('chunks'), 14, '40 items over 2 workers, about 8 chunks each: 13 chunks of 3 and one of 1');
  assert.ok(metrics.get('w-score')! > 0 && metrics.get('w-busy')! >= metrics.get('w-score')!, header);
});

test('a wrong token gets 401, and the Python client says the token was refused', async () => {
  for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${server.token}`]) {
    const res = await fetch(`${server.origin}/v1/rewards`, {
      method: 'POST',
      headers: authorization ? { authorization } : {},
      body: JSON.stringify({ items: [] }),
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  for (const path of ['/health', '/metrics']) assert.equal((await fetch(server.origin + path)).status, 401);
  const run = await runPython(rewardCases(2), 'single', { ...clientEnv(), SAENGGAK_REWARD_TOKEN: 'wrong-token' });
  assert.equal(run.code, 3);
  assert.match(run.stderr, /refused the token \(401\).*SAENGGAK_REWARD_TOKEN/);
});

test('an unreachable server is a clear error after the retries, not a hang', async () => {
  const closed = await startRewardServer({ config, token: 't', workers: 1 });
  const origin = closed.origin;
  await closed.close();
  const run = await runPython(rewardCases(1), 'single', { SAENGGAK_REWARD_URL: origin, SAENGGAK_REWARD_TOKEN: 't', SAENGGAK_REWARD_RETRIES: '2' });
  assert.equal(run.code, 3);
  assert.match(run.stderr, new RegExp(`reward server at ${origin} is unreachable after 2 attempts .*saenggak serve rewards`));
});

test('health and metrics report the server and the requests it scored', async () => {
  const headers = { authorization: `Bearer ${server.token}` };
  const health = (await (await fetch(`${server.origin}/health`, { headers })).json()) as { status: string; workers: number; config: RewardConfig };
  assert.equal(health.status, 'ok');
  assert.equal(health.workers, 2);
  assert.deepEqual(health.config, config);
  const metrics = (await (await fetch(`${server.origin}/metrics`, { headers })).json()) as {
    requestsPerSecond: number;
    itemsPerSecond: number;
    latencyMs: { p50: number; p90: number; p99: number };
    totals: { requests: number; items: number };
  };
  assert.ok(metrics.totals.requests >= 1 && metrics.totals.items >= metrics.totals.requests);
  assert.ok(metrics.requestsPerSecond > 0 && metrics.itemsPerSecond >= metrics.requestsPerSecond);
  assert.ok(metrics.latencyMs.p50 <= metrics.latencyMs.p90 && metrics.latencyMs.p90 <= metrics.latencyMs.p99);
});

test('bad requests get 400 with the offending field named, unknown paths 404', async () => {
  const post = async (body: string) => {
    const res = await fetch(`${server.origin}/v1/rewards`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };
  const notJson = await post('{items:');
  assert.deepEqual([notJson.status, notJson.body.error.code], [400, 'invalid_json']);
  const badItem = await post(JSON.stringify({ items: [{ prompt: 'p', response: 'r' }, { prompt: 'p', solution_str: 'r' }] }));
  assert.equal(badItem.status, 400);
  assert.match(badItem.body.error.message, /items\.1\.response/);
  assert.match(badItem.body.error.message, /solution_str/);
  const res = await fetch(`${server.origin}/v2/rewards`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(res.status, 404);
});

test('limits: too many items is a 400 that names the limit, too many bytes a 413; a slow item scores 0 and the rest normally', async () => {
  const strict = await startRewardServer({ config, token: 'strict', workers: 2, maxBatchItems: 8, maxBodyBytes: 30_000, itemTimeoutMs: 1000, scorerUrl: SPIN_SCORER });
  try {
    const env = { SAENGGAK_REWARD_URL: strict.origin, SAENGGAK_REWARD_TOKEN: 'strict', SAENGGAK_REWARD_RETRIES: '2', SAENGGAK_REWARD_MAX_BATCH: '100' };
    const tooMany = await runPython(rewardCases(20), 'batch', env);
    assert.equal(tooMany.code, 3);
    assert.match(tooMany.stderr, /HTTP 400: the batch has 20 items; the limit is 8 per request/);
    const huge = rewardCases(1).map((c) => ({ ...c, response: c.response + '가'.repeat(20_000) }));
    const tooBig = await runPython(huge, 'batch', env);
    assert.equal(tooBig.code, 3);
    assert.match(tooBig.stderr, /HTTP 413: request bodies are limited to 30000 bytes/);
    // Under the limits, the client splits a large batch itself and every item is scored.
    const split = await runPython(rewardCases(20), 'batch', { ...env, SAENGGAK_REWARD_MAX_BATCH: '8' });
    assert.equal(split.code, 0, split.stderr);
    assert.equal((JSON.parse(split.stdout) as { batch: unknown[] }).batch.length, 20);

    const cases = rewardCases(7);
    const spinning = { ...cases[3], response: `<think>${SPIN_MARKER}</think>\\boxed{80}`, ground_truth: '80' };
    const items = [...cases.slice(0, 3), spinning, ...cases.slice(3)].map(({ chat: _chat, ...item }) => item);
    const res = await fetch(`${strict.origin}/v1/rewards`, { method: 'POST', headers: { authorization: 'Bearer strict' }, body: JSON.stringify({ items }) });
    assert.equal(res.status, 200);
    const { results } = (await res.json()) as { results: { score: number; reasons: string[]; error?: string }[] };
    assert.equal(results.length, 8);
    assert.equal(results[3].score, 0);
    assert.equal(results[3].error, 'timeout');
    assert.match(results[3].reasons[0], /timed out: scoring took longer than 1000 ms/);
    const expected = await inProcess(cases);
    const others = [...results.slice(0, 3), ...results.slice(4)];
    others.forEach((r, i) => {
      assert.equal(r.error, undefined);
      assert.equal(r.score, expected[i].total, `item ${i}`);
    });
    // The stuck worker was replaced: the server keeps scoring.
    const again = await runPython(cases, 'batch', env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { batch: { score: number }[] }).batch.map((b) => b.score), expected.map((e) => e.total));
    const metrics = strict.metrics.snapshot();
    assert.equal(metrics.totals.timeouts, 1);
    assert.ok(metrics.totals.rejected >= 2);
  } finally {
    await strict.close();
  }
});
