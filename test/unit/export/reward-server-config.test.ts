// The reward server's config file, its metrics arithmetic, and the `serve` / `serve rewards` commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadRewardConfigFile, servedRewardConfig } from '../../../main/reward-server/config.ts';
import { RewardMetrics, percentile } from '../../../main/reward-server/metrics.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/saenggak.js');

test('reward config: top level or under `rewards:`, validated with the file and field named', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-reward-config-'));
  try {
    await writeFile(join(dir, 'a.yaml'), 'accuracy: { weight: 1 }\nlanguage: { weight: 0.5, target: ko }\n');
    await writeFile(join(dir, 'b.yaml'), 'rewards:\n  format: { weight: 2 }\n');
    await writeFile(join(dir, 'bad.yaml'), 'accuracy: { weight: -1 }\n');
    await writeFile(join(dir, 'typo.yaml'), 'acuracy: { weight: 1 }\n');
    await writeFile(join(dir, 'broken.yaml'), 'accuracy: [\n');
    assert.deepEqual(await loadRewardConfigFile(join(dir, 'a.yaml')), { accuracy: { weight: 1 }, language: { weight: 0.5, target: 'ko' } });
    assert.deepEqual(await loadRewardConfigFile(join(dir, 'b.yaml')), { format: { weight: 2 } });
    await assert.rejects(loadRewardConfigFile(join(dir, 'bad.yaml')), /bad\.yaml: invalid reward config: accuracy\.weight/);
    await assert.rejects(loadRewardConfigFile(join(dir, 'typo.yaml')), /typo\.yaml.*acuracy/);
    await assert.rejects(loadRewardConfigFile(join(dir, 'broken.yaml')), /broken\.yaml is not valid YAML/);
    await assert.rejects(loadRewardConfigFile(join(dir, 'missing.yaml')), /cannot read reward config .*missing\.yaml: ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.throws(() => servedRewardConfig({ accuracy: { weight: 1 }, judge: { weight: 1 } }), /rule-based components.*remove judge/);
  assert.throws(() => servedRewardConfig({ normalize: true }), /no reward component is enabled/);
  assert.throws(() => servedRewardConfig([1, 2]), /expected a mapping/);
});

test('metrics: rates over the window, nearest-rank percentiles, old requests dropped', () => {
  let now = 0;
  const metrics = new RewardMetrics(10_000, () => now);
  const latencies = Array.from({ length: 200 }, (_, i) => ((i * 37) % 200) + 1); // 1..200 shuffled
  for (const latency of latencies) {
    now += 10;
    metrics.recordBatch(4, latency, latency === 7 ? 1 : 0);
  }
  const s = metrics.snapshot(); // 2 s elapsed, all 200 requests in the window
  assert.equal(s.requestsPerSecond, 200 / 2);
  assert.equal(s.itemsPerSecond, 800 / 2);
  // Nearest rank on 1..200: p50 = 100th value, p90 = 180th, p99 = 198th.
  assert.deepEqual(s.latencyMs, { p50: 100, p90: 180, p99: 198 });
  assert.deepEqual(s.totals, { requests: 200, items: 800, timeouts: 1, failures: 0, rejected: 0 });
  now += 9_005; // the first 100 requests (t ≤ 1 s) fall out of the 10 s window
  const later = metrics.snapshot();
  assert.equal(later.requestsPerSecond, 100 / 10);
  assert.equal(percentile([], 0.5), null);
  assert.equal(percentile([5], 0.99), 5);
});

/** Starts the CLI and resolves with its stdout once `marker` appears; the process is killed after. */
function cliOutput(args: string[], marker: RegExp): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`no ${marker} in output: ${out} ${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (marker.test(out)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        done(out);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      if (!marker.test(out)) fail(new Error(`exited without ${marker}: ${out} ${err}`));
    });
  });
}

test('`saenggak serve rewards` takes its own --port and --config; plain `saenggak serve` still serves the app', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-serve-rewards-'));
  try {
    await writeFile(join(dir, 'r.yaml'), 'accuracy: { weight: 1 }\n');
    const rewards = await cliOutput(['serve', 'rewards', '--port', '0', '--workers', '1', '--config', join(dir, 'r.yaml')], /SAENGGAK_REWARD_TOKEN=\w+/);
    const url = /SAENGGAK_REWARD_URL=(\S+)/.exec(rewards)![1];
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(url, 'http://127.0.0.1:5124'); // --port 0 reached the sub-command
    assert.match(rewards, /Components: accuracy\./);
    const app = await cliOutput(['serve', '--port', '0'], /#token=\w+/);
    assert.match(app, /Saenggak Lab is serving at:\s+http:\/\/127\.0\.0\.1:\d+\/#token=/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
