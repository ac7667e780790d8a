// The exported launch scripts, run for real with `python3 -m …` and `ray` replaced by stubs that record
// their arguments (verl and Ray are not installed here): parameters reach verl as Hydra overrides, the
// reward server's health is checked with the real Python against a live server (wrong token → refusal
// before anything starts), and the cluster script's head / worker commands pass the GPU counts to Ray.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportVerl } from '../../../main/export/verl/export.ts';
import { loadRewardConfigFile } from '../../../main/reward-server/config.ts';
import { startRewardServer, type RunningRewardServer } from '../../../main/reward-server/server.ts';
import { computeRewards } from '../../../main/rewards/index.ts';
import { SPIN_MARKER } from './fixtures/spin-scorer.ts';

const SPIN_SCORER = new URL('./fixtures/spin-scorer.ts', import.meta.url).href;

const run = promisify(execFile);
let dir: string;
let server: RunningRewardServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verl-scripts-'));
  writeFileSync(join(dir, 'RECIPE.yaml'), `name: scripts
model: { hub: Qwen/Qwen2.5-1.5B-Instruct }
data: { task: korean-arithmetic, train: 4, prompts: 8, heldout: 2 }
grpo: { rollout: { groupSize: 4, promptsPerStep: 4 } }
`);
  await exportVerl({ recipe: join(dir, 'RECIPE.yaml'), out: join(dir, 'job'), maxPromptLength: 256 });
  server = await startRewardServer({ config: await loadRewardConfigFile(join(dir, 'job', 'rewards.yaml')), token: 'script-token', workers: 1 });
  // Stubs: `python3 -m MODULE ...` and `ray ...` record their arguments; other python3 calls run Python.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const realPython = (await run('bash', ['-c', 'command -v python3'])).stdout.trim();
  writeFileSync(join(bin, 'python3'), `#!/usr/bin/env bash\nif [ "\${1:-}" = "-m" ]; then printf '%s\\n' "$@" > "${join(dir, 'verl-args.txt')}"; echo "verl stub ran"; exit 0; fi\nexec ${realPython} "$@"\n`);
  writeFileSync(join(bin, 'ray'), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${join(dir, 'ray-args.txt')}"\n`);
  chmodSync(join(bin, 'python3'), 0o755);
  chmodSync(join(bin, 'ray'), 0o755);
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, ...extra };
}

test('run_single_node.sh: checks the reward server, then starts verl with the folder, model and GPU overrides', async () => {
  const job = join(dir, 'job');
  const { stdout } = await run(join(job, 'run_single_node.sh'), ['--model', '/models/policy', '--gpus', '4', '--reward-url', server.origin, 'trainer.total_training_steps=3'], { env: env({ SAENGGAK_REWARD_TOKEN: 'script-token' }) });
  assert.match(stdout, /reward server ok: .*rewards accuracy, format, language/);
  assert.match(stdout, /verl stub ran/);
  const args = readFileSync(join(dir, 'verl-args.txt'), 'utf8').trim().split('\n');
  assert.deepEqual(args.slice(0, 6), ['-m', 'verl.trainer.main_ppo', '--config-path', job, '--config-name', 'verl_grpo']);
  for (const override of [
    `data.train_files=${job}/train.parquet`,
    `data.val_files=${job}/val.parquet`,
    'actor_rollout_ref.model.path=/models/policy',
    `custom_reward_function.path=${job}/saenggak_reward.py`,
    'trainer.nnodes=1',
    'trainer.n_gpus_per_node=4',
    'actor_rollout_ref.rollout.tensor_model_parallel_size=1',
    'trainer.total_training_steps=3',
  ]) assert.ok(args.includes(override), `missing ${override} in ${args.join(' ')}`);
  assert.match(readFileSync(join(job, 'logs', 'console.log'), 'utf8'), /verl stub ran/);
});

test('run_single_node.sh: a wrong or missing token stops before verl starts', async () => {
  rmSync(join(dir, 'verl-args.txt'), { force: true });
  const job = join(dir, 'job');
  const wrong = await run(join(job, 'run_single_node.sh'), ['--model', '/m', '--reward-url', server.origin], { env: env({ SAENGGAK_REWARD_TOKEN: 'nope' }) }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(wrong?.code, 3);
  assert.match(wrong!.stderr, /reward server not reachable at .*401/);
  const noToken = await run(join(job, 'run_single_node.sh'), ['--reward-url', server.origin], { env: env({}) }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(noToken?.code, 2);
  assert.match(noToken!.stderr, /set SAENGGAK_REWARD_TOKEN/);
  assert.throws(() => readFileSync(join(dir, 'verl-args.txt')), /ENOENT/);
});

test('run_ray_cluster.sh: head and worker start Ray with the GPU count and the reward settings in its environment; worker needs the head address', async () => {
  const script = join(dir, 'job', 'run_ray_cluster.sh');
  // Ray's workers inherit the reward settings from `ray start`: head and worker need the token too.
  const noToken = await run(script, ['head', '--gpus', '8'], { env: env({}) }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(noToken?.code, 2);
  assert.match(noToken!.stderr, /SAENGGAK_REWARD_TOKEN/);
  writeFileSync(join(dir, 'bin', 'ray'), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" "token=$SAENGGAK_REWARD_TOKEN" "log=$VERL_FILE_LOGGER_PATH" > "${join(dir, 'ray-args.txt')}"\n`);
  await run(script, ['head', '--gpus', '8', '--port', '6380'], { env: env({ SAENGGAK_REWARD_TOKEN: 'tok' }) });
  const log = `log=${join(dir, 'job', 'logs', 'metrics.jsonl')}`;
  assert.deepEqual(readFileSync(join(dir, 'ray-args.txt'), 'utf8').trim().split('\n'), ['start', '--head', '--port=6380', '--num-gpus=8', 'token=tok', log]);
  await run(script, ['worker', '--head', '10.0.0.1', '--gpus', '4'], { env: env({ SAENGGAK_REWARD_TOKEN: 'tok' }) });
  assert.deepEqual(readFileSync(join(dir, 'ray-args.txt'), 'utf8').trim().split('\n'), ['start', '--address=10.0.0.1:6379', '--num-gpus=4', 'token=tok', log]);
  const noHead = await run(script, ['worker'], { env: env({ SAENGGAK_REWARD_TOKEN: 'tok' }) }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(noHead?.code, 2);
  assert.match(noHead!.stderr, /--head HEAD_IP/);
  const usage = await run(script, [], { env: env({}) }).then(() => null, (e: { code: number; stdout: string }) => e);
  assert.equal(usage?.code, 2);
  assert.match(usage!.stdout, /head node: +\.\/run_ray_cluster\.sh head/);
});

test('saenggak_reward.py with return_dict (as the export configures it): every result has every component, also a timed-out one', async () => {
  const config = await loadRewardConfigFile(join(dir, 'job', 'rewards.yaml'));
  const slow = await startRewardServer({ config, token: 'rd', workers: 1, itemTimeoutMs: 500, scorerUrl: SPIN_SCORER });
  try {
    const items = [
      { source: 'korean-arithmetic', response: '<think>\n7에 5를 더하면 12입니다.\n</think>\n\n답은 \\boxed{12}입니다.', gold: '12', prompt: '7에서 시작합니다. 5를 더합니다. 결과는 얼마입니까?' },
      { source: 'korean-arithmetic', response: `<think>${SPIN_MARKER}</think> \\boxed{1}`, gold: '1', prompt: '1?' },
      { source: 'korean-arithmetic', response: 'no thinking, answer 3', gold: '4', prompt: '3에 1을 더하면?' },
    ];
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(dir, 'job'))})
import saenggak_reward as r
items = json.loads(sys.stdin.read())
batch = r.compute_score_batch([i["source"] for i in items], [i["response"] for i in items], [i["gold"] for i in items],
    [{"prompt": i["prompt"], "language": "ko"} for i in items], return_dict=True)
single = r.compute_score(items[1]["source"], items[1]["response"], items[1]["gold"], {"prompt": items[1]["prompt"], "language": "ko"}, return_dict=True)
plain = r.compute_score(items[0]["source"], items[0]["response"], items[0]["gold"], {"prompt": items[0]["prompt"], "language": "ko"})
print(json.dumps({"batch": batch, "single": single, "plain": plain}).replace("NaN", "null"))
`;
    const child = execFile('python3', ['-c', script], { env: { ...process.env, SAENGGAK_REWARD_URL: slow.origin, SAENGGAK_REWARD_TOKEN: 'rd', SAENGGAK_REWARD_RETRIES: '1' } });
    child.stdin!.end(JSON.stringify(items));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    assert.equal(code, 0, err);
    const got = JSON.parse(out) as { batch: Record<string, number | null>[]; single: Record<string, number | null>; plain: number };
    const keys = ['accuracy', 'format', 'language', 'score'];
    for (const result of [...got.batch, got.single]) assert.deepEqual(Object.keys(result).sort(), keys);
    assert.deepEqual(got.single, { score: 0, accuracy: null, format: null, language: null });
    assert.deepEqual(got.batch[1], got.single);
    // The other two equal in-process scoring, component by component.
    const expected = await computeRewards([0, 2].map((i) => ({ prompt: items[i].prompt, response: items[i].response, gold: items[i].gold, target: 'ko' })), config);
    [0, 2].forEach((i, k) => {
      assert.ok(Math.abs(got.batch[i].score! - expected[k].total) < 1e-12, `item ${i} total`);
      for (const name of ['accuracy', 'format', 'language'] as const) {
        const want = expected[k].components[name]?.score ?? null;
        assert.ok(want === null ? got.batch[i][name] === null : Math.abs(got.batch[i][name]! - want) < 1e-12, `item ${i} ${name}: ${got.batch[i][name]} vs ${want}`);
      }
    });
    assert.ok(Math.abs(got.plain - expected[0].total) < 1e-12);
  } finally {
    await slow.close();
  }
});
