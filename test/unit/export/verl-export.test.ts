// `saenggak export verl`: the Parquet files read back with hyparquet in exactly verl's layout and with the
// recipe's values (recomputed here from the task generator and the JSONL source, not from the exporter),
// the trainer config's keys all exist in verl 0.7.0's config (test/fixtures/verl), the mapped values are
// the recipe's, and every used option verl cannot honour is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { exportVerl } from '../../../main/export/verl/export.ts';
import { arithmeticSplits } from '../../../main/pipeline/stages/data.ts';

const FIXTURE = JSON.parse(readFileSync(new URL('../../fixtures/verl/trainer-config-keys.v0.7.0.json', import.meta.url), 'utf8')) as { verl: string; keys: string[]; readByCode: { key: string }[] };
const VERL_KEYS = new Set(FIXTURE.keys);
/** A key of the flattened config, or inside one of the few mappings verl reads with .get() that its YAML does not list (cited in the fixture). */
const isVerlKey = (key: string) => VERL_KEYS.has(key) || FIXTURE.readByCode.some((k) => key.startsWith(`${k.key}.`));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'verl-export-'));
}

/** Dotted paths of every leaf (lists count as leaves: their items are values, not keys). */
function leafKeys(value: unknown, path = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) return Object.entries(value).flatMap(([k, v]) => leafKeys(v, path ? `${path}.${k}` : k));
  return [path];
}

async function readParquet(path: string): Promise<{ rows: Record<string, unknown>[]; schema: { name: string; repetition_type?: string; converted_type?: string; type?: string; num_children?: number }[] }> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return { rows, schema: metadata.schema as never };
}

const RECIPE = `name: demo-verl
model:
  hub: Qwen/Qwen2.5-1.5B-Instruct
data:
  task: korean-arithmetic
  train: 40
  prompts: 30
  heldout: 8
  seed: 3
grpo:
  method: { kind: full }
  rollout: { groupSize: 8, promptsPerStep: 16, temperature: 0.9, topP: 0.95, maxNewTokens: 1024 }
  objective:
    clip: { epsLow: 0.2, epsHigh: 0.28 }
    lossAggregation: sequence
    updateEpochs: 2
    miniBatch: 64
    kl: { beta: 0.001 }
  optimization: { learningRate: 1.0e-6, weightDecay: 0.01, schedule: { decay: cosine, warmupSteps: 10, minLearningRateRatio: 0.1 } }
  rewards: { accuracy: { weight: 1 }, format: { weight: 0.2 }, language: { weight: 0.5 } }
  steps: 200
  saveEvery: 50
  evalEvery: 10
`;

test('RL and SFT Parquet: verl column layout, values from the recipe task', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'RECIPE.yaml'), RECIPE);
    const result = await exportVerl({ recipe: join(dir, 'RECIPE.yaml'), out: join(dir, 'out') });
    assert.equal(result.entry, 'ppo');
    assert.deepEqual(result.rows, { train: 30, val: 8, sftTrain: 38, sftVal: 2 });
    // Measured with the chat template of the bundled Qwen tokenizer: short Korean questions, so the floor of 128.
    assert.equal(result.maxPromptLength, 128);

    // The problems the pipeline's data stage trains on (40 SFT, 30 RL prompts, 8 held out), drawn by the stage itself.
    const splits = arithmeticSplits({ task: 'korean-arithmetic', train: 40, prompts: 30, heldout: 8, steps: 2, englishThinkingShare: 0.5, shortcutShare: 0, seed: 3 });
    const { rows, schema } = await readParquet(join(dir, 'out', 'train.parquet'));
    assert.deepEqual(Object.keys(rows[0]), ['data_source', 'prompt', 'ability', 'reward_model', 'extra_info']);
    // Nesting as pyarrow writes it: prompt is a 3-level LIST of {role, content}, reward_model / extra_info structs.
    const shape = schema.map((s) => `${s.name}:${s.repetition_type ?? ''}:${s.converted_type ?? s.type ?? `group${s.num_children}`}`);
    assert.deepEqual(shape, [
      'schema::group5',
      'data_source:OPTIONAL:UTF8',
      'prompt:OPTIONAL:LIST', 'list:REPEATED:group1', 'element:OPTIONAL:group2', 'role:OPTIONAL:UTF8', 'content:OPTIONAL:UTF8',
      'ability:OPTIONAL:UTF8',
      'reward_model:OPTIONAL:group2', 'style:OPTIONAL:UTF8', 'ground_truth:OPTIONAL:UTF8',
      'extra_info:OPTIONAL:group4', 'index:OPTIONAL:INT64', 'split:OPTIONAL:UTF8', 'language:OPTIONAL:UTF8', 'prompt:OPTIONAL:UTF8',
    ]);
    assert.equal(rows.length, 30);
    rows.forEach((row, i) => {
      const p = splits.prompts[i];
      assert.deepEqual(row, {
        data_source: 'korean-arithmetic',
        prompt: [{ role: 'user', content: p.prompt }],
        ability: 'math',
        reward_model: { style: 'rule', ground_truth: String(p.answer) },
        extra_info: { index: BigInt(i), split: 'train', language: 'ko', prompt: p.prompt },
      });
    });
    const val = (await readParquet(join(dir, 'out', 'val.parquet'))).rows;
    assert.deepEqual(val.map((r) => (r.reward_model as { ground_truth: string }).ground_truth), splits.heldout.map((p) => String(p.answer)));
    assert.deepEqual(val.map((r) => (r.extra_info as { split: string }).split), Array(8).fill('val'));

    const sft = await readParquet(join(dir, 'out', 'sft_train.parquet'));
    assert.deepEqual(sft.schema.map((s) => s.name), ['schema', 'messages', 'list', 'element', 'role', 'content']);
    assert.equal(sft.rows.length, 38);
    assert.deepEqual(sft.rows[5], { messages: [{ role: 'user', content: splits.train[5].prompt }, { role: 'assistant', content: splits.train[5].response }] });
    const sftVal = await readParquet(join(dir, 'out', 'sft_val.parquet'));
    assert.deepEqual(sftVal.rows.map((r) => (r.messages as { content: string }[])[1].content), [splits.train[38].response, splits.train[39].response]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prompts from a JSONL file with a column mapping (user turn of messages, as the local trainer) and a validation split', async () => {
  const dir = tempDir();
  try {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify(i % 2 ? { question: `문제 ${i}`, gold: i * 2, language: 'ko' } : { messages: [{ role: 'system', content: 'Think first.' }, { role: 'user', content: `problem ${i}` }], gold: `${i}`, language: 'en', data_source: 'custom/src' }));
    writeFileSync(join(dir, 'prompts.jsonl'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'RECIPE.yaml'), `name: jsonl
model: { path: /models/policy }
grpo:
  prompts: { path: prompts.jsonl, columns: { prompt: question, answer: gold, lang: language } }
`);
    const result = await exportVerl({ recipe: join(dir, 'RECIPE.yaml'), out: join(dir, 'out'), valShare: 0.1, maxPromptLength: 256 });
    assert.deepEqual([result.rows.train, result.rows.val, result.rows.sftTrain], [18, 2, 0]);
    const { rows } = await readParquet(join(dir, 'out', 'train.parquet'));
    assert.deepEqual(rows[0], {
      data_source: 'custom/src',
      // The local GRPO trainer prompts with the user turn only; the export gives verl the same chat.
      prompt: [{ role: 'user', content: 'problem 0' }],
      ability: 'math',
      reward_model: { style: 'rule', ground_truth: '0' },
      extra_info: { index: 0n, split: 'train', language: 'en', prompt: 'problem 0' },
    });
    assert.deepEqual(rows[1], {
      data_source: 'prompts',
      prompt: [{ role: 'user', content: '문제 1' }],
      ability: 'math',
      reward_model: { style: 'rule', ground_truth: '2' },
      extra_info: { index: 1n, split: 'train', language: 'ko', prompt: '문제 1' },
    });
    const val = (await readParquet(join(dir, 'out', 'val.parquet'))).rows;
    assert.deepEqual(val.map((r) => (r.extra_info as { prompt: string }).prompt), ['problem 18', '문제 19']);
    const config = parseYaml(readFileSync(join(dir, 'out', 'verl_grpo.yaml'), 'utf8'));
    assert.equal(config.data.max_prompt_length, 256);
    assert.equal(config.actor_rollout_ref.model.path, '/models/policy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trainer config: every key exists in verl 0.7.0, values mapped from the grpo stage', async () => {
  assert.equal(FIXTURE.verl, '0.7.0');
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'RECIPE.yaml'), RECIPE);
    const result = await exportVerl({ recipe: join(dir, 'RECIPE.yaml'), out: join(dir, 'out'), maxPromptLength: 320 });
    const config = parseYaml(readFileSync(join(dir, 'out', 'verl_grpo.yaml'), 'utf8'));
    assert.deepEqual(config.defaults, ['ppo_trainer', '_self_']);
    const { hydra: _hydra, defaults: _defaults, ...keys } = config;
    const unknown = leafKeys(keys).filter((k) => !isVerlKey(k));
    assert.deepEqual(unknown, [], 'keys not in verl 0.7.0');

    const actor = config.actor_rollout_ref.actor;
    assert.equal(config.actor_rollout_ref.rollout.n, 8);
    assert.equal(config.data.train_batch_size, 16);
    assert.equal(config.data.max_response_length, 1024);
    assert.equal(config.data.max_prompt_length, 320);
    assert.equal(config.actor_rollout_ref.actor.ppo_max_token_len_per_gpu, 16384, 'max(16384, 2 × (320 + 1024))');
    assert.equal(config.actor_rollout_ref.rollout.temperature, 0.9);
    assert.equal(config.actor_rollout_ref.rollout.top_p, 0.95);
    assert.equal(actor.ppo_mini_batch_size, 8, 'miniBatch 64 responses / groupSize 8 = 8 prompts');
    assert.equal(actor.ppo_epochs, 2);
    assert.equal(actor.clip_ratio_low, 0.2);
    assert.equal(actor.clip_ratio_high, 0.28);
    assert.equal(actor.loss_agg_mode, 'seq-mean-token-mean');
    assert.equal(actor.use_kl_loss, true);
    assert.equal(actor.kl_loss_coef, 0.001);
    assert.equal(actor.kl_loss_type, 'low_var_kl');
    assert.equal(actor.optim.lr, 1e-6);
    assert.equal(actor.optim.weight_decay, 0.01);
    assert.equal(actor.optim.lr_warmup_steps, 10);
    assert.equal(actor.optim.lr_scheduler_type, 'cosine');
    assert.equal(actor.optim.min_lr_ratio, 0.1);
    assert.equal(config.actor_rollout_ref.model.lora_rank, 0);
    assert.equal(config.algorithm.adv_estimator, 'grpo');
    assert.equal(config.algorithm.norm_adv_by_std_in_grpo, true);
    assert.equal(config.trainer.total_training_steps, 200);
    assert.equal(config.trainer.save_freq, 50);
    assert.equal(config.trainer.test_freq, 10);
    assert.deepEqual(config.trainer.logger, ['console', 'file']);
    assert.equal(config.reward_model.reward_manager, 'batch');
    assert.equal(config.reward_model.use_reward_loop, false, "verl 0.7's reward loop has no batch manager");
    assert.equal(config.custom_reward_function.name, 'compute_score_batch');
    assert.deepEqual(config.custom_reward_function.reward_kwargs, { return_dict: true });
    assert.deepEqual(result.warnings, [], 'a recipe using only mapped options exports without warnings');

    // The served rewards are the recipe's, and the scripts are executable and valid bash.
    assert.deepEqual(parseYaml(readFileSync(join(dir, 'out', 'rewards.yaml'), 'utf8')), { accuracy: { weight: 1 }, format: { weight: 0.2 }, language: { weight: 0.5 } });
    for (const script of ['run_single_node.sh', 'run_ray_cluster.sh']) {
      assert.ok(statSync(join(dir, 'out', script)).mode & 0o100, `${script} is executable`);
      const check = spawnSync('bash', ['-n', join(dir, 'out', script)]);
      assert.equal(check.status, 0, `${script}: ${check.stderr}`);
    }
    assert.match(readFileSync(join(dir, 'out', 'saenggak_reward.py'), 'utf8'), /def compute_score_batch\(/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options verl cannot honour are reported, DAPO features switch to DAPO trainer keys', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'RECIPE.yaml'), `name: dapo
model: { hub: Qwen/Qwen2.5-1.5B-Instruct }
data: { task: korean-arithmetic, train: 4, prompts: 12, heldout: 2 }
grpo:
  method: { kind: lora, r: 8, alpha: 16 }
  rollout: { groupSize: 4, promptsPerStep: 8, maxNewTokens: 512, stopStrings: ["</answer>"] }
  objective:
    clip: { mode: gppo }
    advantage: { std: batch, eps: 0.001 }
    lossAggregation: constant
    overlong: { mode: soft, buffer: 128, penalty: 0.5 }
  dynamicSampling: { enabled: true, maxRounds: 2 }
  difficultyFilter: { enabled: true, low: 0.1, high: 0.9 }
  replay: { enabled: true }
  varianceAwareSampling: { enabled: true }
  optimization: { schedule: { decay: linear }, maxGradNorm: null }
  provider: cuda
`);
    const result = await exportVerl({ recipe: join(dir, 'RECIPE.yaml'), out: join(dir, 'out'), maxPromptLength: 256 });
    assert.equal(result.entry, 'dapo');
    const fields = result.warnings.map((w) => `${w.field}:${w.kind}`).sort();
    assert.deepEqual(fields, [
      'difficultyFilter:unsupported',
      'objective.advantage.eps:unsupported',
      'objective.advantage.std:approximate',
      'objective.clip.mode:unsupported',
      'objective.lossAggregation:approximate',
      'optimization.maxGradNorm:approximate',
      'optimization.schedule.decay:approximate',
      'provider:unsupported',
      'replay:unsupported',
      'rollout.stopStrings:unsupported',
      'varianceAwareSampling:unsupported',
    ]);
    const config = parseYaml(readFileSync(join(dir, 'out', 'verl_grpo.yaml'), 'utf8'));
    const { hydra: _hydra, defaults, ...keys } = config;
    assert.deepEqual(defaults, ['dapo_trainer', '_self_']);
    assert.deepEqual(leafKeys(keys).filter((k) => !isVerlKey(k)), []);
    // The default rule is DAPO's (by accuracy): verl filters on the 'accuracy' key saenggak_reward.py returns.
    assert.deepEqual(config.algorithm.filter_groups, { enable: true, metric: 'accuracy', max_num_gen_batches: 3 });
    assert.deepEqual(config.reward_model.overlong_buffer, { enable: true, len: 128, penalty_factor: 0.5, log: false });
    assert.equal(config.reward_model.reward_manager, 'dapo');
    assert.equal(config.custom_reward_function.name, 'compute_score');
    assert.equal(config.algorithm.adv_estimator, 'reinforce_plus_plus_baseline');
    assert.equal(config.actor_rollout_ref.actor.loss_agg_mode, 'seq-mean-token-sum-norm');
    assert.equal(config.actor_rollout_ref.actor.loss_scale_factor, 512);
    assert.equal(config.actor_rollout_ref.model.lora_rank, 8);
    assert.equal(config.actor_rollout_ref.model.lora_alpha, 16);
    assert.equal(config.actor_rollout_ref.rollout.load_format, 'safetensors', 'verl LoRA needs the real base weights in vLLM');
    // The README lists the same warnings the CLI prints, and the LoRA alpha the model import needs.
    const readme = readFileSync(join(dir, 'out', 'README.md'), 'utf8');
    assert.match(readme, /verl-import-model --from merged .* --lora-alpha 16/);
    for (const w of result.warnings) assert.ok(readme.includes(`\`${w.field}\``), `README mentions ${w.field}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: --json result, warnings on stderr, clear error for a recipe without a grpo stage', () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'RECIPE.yaml'), `name: cli\nmodel: { hub: Qwen/Qwen2.5-0.5B }\ndata: { task: korean-arithmetic, train: 2, prompts: 6, heldout: 2 }\ngrpo: { replay: { enabled: true } }\n`);
    const cli = (args: string[]) => spawnSync(process.execPath, ['bin/saenggak.js', 'export', ...args], { encoding: 'utf8' });
    const ok = cli(['verl', '--recipe', join(dir, 'a', 'RECIPE.yaml'), '--out', join(dir, 'out'), '--max-prompt-length', '256', '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const result = JSON.parse(ok.stdout.trim().split('\n').pop()!);
    assert.deepEqual(result.rows, { train: 6, val: 2, sftTrain: 1, sftVal: 1 });
    assert.equal(result.written, true);
    assert.deepEqual([...result.files].sort(), readdirSync(join(dir, 'out')).sort(), 'the result lists exactly the files written');
    assert.match(ok.stderr, /warning: grpo\.replay \(unsupported\)/);

    // A dry run says the same and writes nothing (the recipe page's "Export to cluster" preview).
    const dry = cli(['verl', '--recipe', join(dir, 'a', 'RECIPE.yaml'), '--out', join(dir, 'dry'), '--max-prompt-length', '256', '--json', '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    const preview = JSON.parse(dry.stdout.trim().split('\n').pop()!);
    assert.deepEqual({ ...preview, out: null, written: null }, { ...result, out: null, written: null });
    assert.equal(preview.written, false);
    assert.equal(existsSync(join(dir, 'dry')), false);

    writeFileSync(join(dir, 'a', 'NOGRPO.yaml'), `name: nogrpo\ndata: { task: korean-arithmetic }\n`);
    const bad = cli(['verl', '--recipe', join(dir, 'a', 'NOGRPO.yaml'), '--out', join(dir, 'out2')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /has no grpo stage/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
