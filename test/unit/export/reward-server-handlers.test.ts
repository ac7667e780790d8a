// rewardServer.* through the API router, as the Devices page calls them: start → a real POST /v1/rewards
// with the shown token scores like computeRewards in process → the status counts the request → stop →
// the port refuses connections. Plus the errors a person can hit (port in use, non-loopback, bad config).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { MethodInput, MethodName, MethodOutput, Result } from '../../../main/api/contract.ts';
import { computeRewards } from '../../../main/rewards/index.ts';
import { DEFAULT_SERVED_REWARDS } from '../../../main/reward-server/config.ts';

type Caller = <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<Result<MethodOutput<M>>>;

async function withSession(fn: (call: Caller, session: AppSession, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-reward-switch-'));
  const session = new AppSession();
  const call: Caller = (method, input) => dispatch(method, input, { transport: 'http', session }, handlers) as never;
  try {
    await fn(call, session, dir);
  } finally {
    await call('rewardServer.stop', {});
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function value<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}
function failure(result: Result<unknown>): { code: string; message: string } {
  assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result)}`);
  return (result as { error: { code: string; message: string } }).error;
}

const ITEMS = [
  { prompt: '다음 식의 값을 구하시오: 6 × 7', response: '<think>\n6에 7을 곱하면 42가 된다.\n</think>\n정답은 \\boxed{42} 입니다.', ground_truth: '42', lang: 'ko', data_source: 'test' },
  { prompt: 'What is 1/2 + 1/4?', response: '<think>\nAdd the fractions: 2/4 + 1/4 = 3/4.\n</think>\nThe answer is \\boxed{0.8}.', ground_truth: '3/4', lang: 'en', data_source: 'test' },
];

async function postRewards(rewardsUrl: string, token: string, items: unknown[]): Promise<Response> {
  return fetch(rewardsUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
}

test('start → a real request with the shown token scores as in process → status counts it → stop refuses connections', async () => {
  await withSession(async (call) => {
    const idle = value(await call('rewardServer.status', {}));
    assert.equal(idle.running, false);
    assert.equal(idle.token, null);

    const started = value(await call('rewardServer.start', { port: 0 }));
    assert.equal(started.running, true);
    assert.equal(started.host, '127.0.0.1');
    assert.ok(started.port > 0);
    assert.equal(started.origin, `http://127.0.0.1:${started.port}`);
    assert.equal(started.rewardsUrl, `${started.origin}/v1/rewards`);
    assert.match(started.token ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(started.config, { path: null, weights: { accuracy: 1, format: 0.2, language: 0.2 } });
    assert.equal(started.metrics?.totals.requests, 0);
    assert.equal(failure(await call('rewardServer.start', { port: 0 })).code, 'already_running');

    const res = await postRewards(started.rewardsUrl!, started.token!, ITEMS);
    assert.equal(res.status, 200);
    const { results } = (await res.json()) as { results: { score: number; reasons: string[] }[] };
    const expected = await computeRewards(ITEMS.map((i) => ({ prompt: i.prompt, response: i.response, gold: i.ground_truth, target: i.lang })), DEFAULT_SERVED_REWARDS);
    assert.deepEqual(results.map((r) => r.score), expected.map((b) => b.total));
    assert.ok(expected[0].total > expected[1].total, 'the right answer scores higher than the wrong one');
    assert.equal((await postRewards(started.rewardsUrl!, 'not-the-token', ITEMS)).status, 401);

    const after = value(await call('rewardServer.status', {}));
    assert.equal(after.metrics?.totals.requests, 1);
    assert.equal(after.metrics?.totals.items, 2);
    assert.equal(after.metrics?.totals.rejected, 1);
    assert.ok((after.metrics?.requestsPerSecond ?? 0) > 0);
    assert.ok((after.metrics?.latencyMs.p50 ?? -1) >= 0);

    const stopped = value(await call('rewardServer.stop', {}));
    assert.equal(stopped.running, false);
    assert.equal(stopped.port, started.port, 'the last address stays visible after a stop');
    const refused = await postRewards(started.rewardsUrl!, started.token!, ITEMS).then(
      () => assert.fail('the stopped server answered'),
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    assert.equal(refused, 'ECONNREFUSED');

    // A fresh start gets a fresh token.
    const again = value(await call('rewardServer.start', { port: 0 }));
    assert.notEqual(again.token, started.token);
  });
});

test('closing the app session (quitting the app, serve mode shutting down) stops a running reward server', async () => {
  const session = new AppSession();
  const call: Caller = (method, input) => dispatch(method, input, { transport: 'http', session }, handlers) as never;
  const started = value(await call('rewardServer.start', { port: 0 }));
  assert.equal((await postRewards(started.rewardsUrl!, started.token!, ITEMS)).status, 200);
  await session.close();
  const refused = await postRewards(started.rewardsUrl!, started.token!, ITEMS).then(
    () => assert.fail('the server still answered after the session closed'),
    (error: Error & { cause?: { code?: string } }) => error.cause?.code,
  );
  assert.equal(refused, 'ECONNREFUSED');
});

test('a port in use is reported as such, and the switch stays off', async () => {
  const blocker = createServer();
  await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
  const port = (blocker.address() as { port: number }).port;
  try {
    await withSession(async (call) => {
      const error = failure(await call('rewardServer.start', { port }));
      assert.equal(error.code, 'port_in_use');
      assert.match(error.message, new RegExp(`port ${port} .*in use`));
      assert.equal(value(await call('rewardServer.status', {})).running, false);
    });
  } finally {
    await new Promise((done) => blocker.close(done));
  }
});

test('listening beyond loopback needs the explicit choice', async () => {
  await withSession(async (call) => {
    assert.equal(failure(await call('rewardServer.start', { host: '0.0.0.0', port: 0 })).code, 'not_loopback');
    assert.equal(value(await call('rewardServer.status', {})).running, false);
    const exposed = value(await call('rewardServer.start', { host: '0.0.0.0', port: 0, exposeToNetwork: true }));
    assert.equal(exposed.host, '0.0.0.0');
    assert.equal(exposed.running, true);
  });
});

test('a config path is read relative to the workspace; a bad or unreachable one is a bad_config error', async () => {
  await withSession(async (call, _session, dir) => {
    assert.equal(failure(await call('rewardServer.start', { port: 0, config: 'rewards.yaml' })).code, 'bad_config');
    value(await call('workspace.open', { path: join(dir, 'ws'), create: true }));
    await writeFile(join(dir, 'ws', 'rewards.yaml'), 'rewards:\n  accuracy: { weight: 2 }\n  language: { weight: 0.5 }\n');
    await writeFile(join(dir, 'ws', 'judge.yaml'), 'judge: { weight: 1 }\n');
    const judge = failure(await call('rewardServer.start', { port: 0, config: 'judge.yaml' }));
    assert.equal(judge.code, 'bad_config');
    assert.match(judge.message, /judge/);
    assert.equal(failure(await call('rewardServer.start', { port: 0, config: 'missing.yaml' })).code, 'bad_config');

    const started = value(await call('rewardServer.start', { port: 0, config: 'rewards.yaml' }));
    assert.deepEqual(started.config, { path: join(dir, 'ws', 'rewards.yaml'), weights: { accuracy: 2, language: 0.5 } });
    const res = await postRewards(started.rewardsUrl!, started.token!, ITEMS.slice(0, 1));
    const { results } = (await res.json()) as { results: { score: number }[] };
    const [expected] = await computeRewards([{ prompt: ITEMS[0].prompt, response: ITEMS[0].response, gold: '42', target: 'ko' }], { accuracy: { weight: 2 }, language: { weight: 0.5 } });
    assert.equal(results[0].score, expected.total);
  });
});

test('a running app-hosted server does not keep the back end process alive', async () => {
  // A child process starts the server through the API and then has nothing left to do: it must exit by
  // itself (a server that held the process would make quitting the app or serve mode hang).
  const script = `
    import { dispatch } from './main/api/router.ts';
    import { handlers } from './main/api/handlers/index.ts';
    import { AppSession } from './main/api/session.ts';
    const r = await dispatch('rewardServer.start', { port: 0 }, { transport: 'http', session: new AppSession() }, handlers);
    if (!r.ok || !r.value.running) { console.error(JSON.stringify(r)); process.exit(2); }
    console.log('started');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../../..'), timeout: 60_000 });
  assert.equal(stdout.trim(), 'started');
});
