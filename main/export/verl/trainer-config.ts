// The recipe's GRPO stage (main/train/grpo/config.ts) as a verl trainer config. Every GRPO option is
// handled here in one of three ways, and docs/verl.md holds the same table:
//
//   mapped       the verl key that does the same thing (rollout.groupSize → actor_rollout_ref.rollout.n)
//   approximate  the closest verl setting, with a warning that says how it differs
//   unsupported  verl has no equivalent: the export warns when the recipe uses it and leaves it out
//
// The file is a Hydra config whose defaults are verl's own `ppo_trainer` (or the DAPO recipe's
// `dapo_trainer` when dynamic sampling or the soft over-long penalty need DAPO's trainer and reward
// manager), so only the keys set here differ from verl's defaults. Keys are those of verl VERL_VERSION;
// test/fixtures/verl holds that version's key list and the tests check every key written against it.
import type { GrpoConfig } from '../../train/grpo/config.ts';

export const VERL_VERSION = '0.7.0';

/** Which verl entry point runs the config: plain GRPO, or DAPO's trainer (group filtering, over-long buffer). */
export type VerlEntry = 'ppo' | 'dapo';

export const VERL_ENTRY_MODULE: Record<VerlEntry, string> = {
  ppo: 'verl.trainer.main_ppo',
  dapo: 'recipe.dapo.main_dapo',
};

/** What the export could not carry over exactly; printed by the CLI, listed in the README. */
export interface MappingWarning {
  /** The recipe field, as written in the grpo section ("objective.advantage.std"). */
  field: string;
  kind: 'approximate' | 'unsupported';
  message: string;
}

export interface VerlTrainerConfig {
  /** The YAML document (Hydra defaults + verl keys). */
  config: Record<string, unknown>;
  entry: VerlEntry;
  warnings: MappingWarning[];
}

export interface TrainerConfigOptions {
  /** Project and experiment names (trainer.project_name / experiment_name). */
  project: string;
  experiment: string;
  /** data.max_prompt_length: the recipe has no such field; the exporter measures the prompts. */
  maxPromptLength: number;
  /** The model path as known from the recipe ('???' = set it on the command line: MODEL_PATH in the scripts). */
  modelPath: string;
  /** The grpo section as written in the recipe: decides which options are "used" (explicitly set). */
  raw: Record<string, unknown>;
}

/** True when `path` ("objective.kl.beta") is written in the recipe's grpo section. */
export function isSet(raw: unknown, path: string): boolean {
  let node: unknown = raw;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== undefined;
}

/** Sets a dotted key in a nested object. */
function put(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** verl's loss_agg_mode for each of our aggregations. */
export const LOSS_AGG_MODE: Record<GrpoConfig['objective']['lossAggregation'], string> = {
  token: 'token-mean',
  sequence: 'seq-mean-token-mean',
  constant: 'seq-mean-token-sum-norm',
};

/** Maps a validated GRPO config to a verl trainer config. */
export function verlTrainerConfig(grpo: GrpoConfig, options: TrainerConfigOptions): VerlTrainerConfig {
  const warnings: MappingWarning[] = [];
  const warn = (field: string, kind: MappingWarning['kind'], message: string, always = false) => {
    if (always || isSet(options.raw, field)) warnings.push({ field, kind, message });
  };
  const c: Record<string, unknown> = {};
  const { rollout, objective, optimization } = grpo;

  const soft = objective.overlong.mode === 'soft';
  const entry: VerlEntry = grpo.dynamicSampling.enabled || soft ? 'dapo' : 'ppo';

  // Data: batch = prompts per step; lengths; the reward function's key.
  put(c, 'data.train_batch_size', rollout.promptsPerStep);
  put(c, 'data.max_prompt_length', options.maxPromptLength);
  put(c, 'data.max_response_length', rollout.maxNewTokens);
  put(c, 'data.prompt_key', 'prompt');
  put(c, 'data.reward_fn_key', 'data_source');
  put(c, 'data.return_raw_chat', true);
  put(c, 'data.seed', grpo.seed);
  put(c, 'data.shuffle', true);

  // Model and method.
  put(c, 'actor_rollout_ref.model.path', options.modelPath);
  put(c, 'actor_rollout_ref.model.use_remove_padding', true);
  put(c, 'actor_rollout_ref.model.enable_gradient_checkpointing', true);
  const method = grpo.method;
  if (method.kind === 'lora') {
    put(c, 'actor_rollout_ref.model.lora_rank', method.r);
    put(c, 'actor_rollout_ref.model.lora_alpha', method.alpha);
    put(c, 'actor_rollout_ref.model.target_modules', method.targetModules.length === 1 && method.targetModules[0] === 'all-linear' ? 'all-linear' : method.targetModules);
    if (method.adapter) put(c, 'actor_rollout_ref.model.lora_adapter_path', method.adapter);
    // Required by verl's LoRA (docs/advance/ppo_lora.rst): vLLM loads the real base weights, then adapters.
    put(c, 'actor_rollout_ref.rollout.load_format', 'safetensors');
    if (method.dropout > 0) warn('method.dropout', 'unsupported', `LoRA dropout ${method.dropout}: verl's LoRA has no dropout setting; it trains without dropout`, true);
    if (method.useRslora) warn('method.useRslora', 'unsupported', 'rsLoRA scaling: verl has no such option; it uses alpha / r', true);
  } else {
    put(c, 'actor_rollout_ref.model.lora_rank', 0);
    if (method.kind === 'selective') warn('method', 'unsupported', 'selective tuning (chosen layers / parameters): verl has no equivalent; the exported config trains every weight (full fine-tuning)', true);
  }

  // Rollout.
  put(c, 'actor_rollout_ref.rollout.name', 'vllm');
  put(c, 'actor_rollout_ref.rollout.n', rollout.groupSize);
  put(c, 'actor_rollout_ref.rollout.temperature', rollout.temperature);
  put(c, 'actor_rollout_ref.rollout.top_p', rollout.topP);
  put(c, 'actor_rollout_ref.rollout.top_k', -1);
  put(c, 'actor_rollout_ref.rollout.val_kwargs.temperature', 0);
  put(c, 'actor_rollout_ref.rollout.val_kwargs.do_sample', false);
  put(c, 'actor_rollout_ref.rollout.val_kwargs.n', 1);
  if (rollout.stopStrings.length > 0) warn('rollout.stopStrings', 'unsupported', `stop strings ${JSON.stringify(rollout.stopStrings)}: verl's rollout config has no stop strings; generation stops at the eos token or max_response_length`, true);

  // Objective: GRPO advantages, clipping, aggregation, epochs, KL.
  put(c, 'algorithm.adv_estimator', 'grpo');
  put(c, 'algorithm.use_kl_in_reward', false);
  if (objective.advantage.std === 'group') put(c, 'algorithm.norm_adv_by_std_in_grpo', true);
  else if (objective.advantage.std === 'none') put(c, 'algorithm.norm_adv_by_std_in_grpo', false);
  else {
    put(c, 'algorithm.adv_estimator', 'reinforce_plus_plus_baseline');
    warn('objective.advantage.std', 'approximate', "batch-level std: verl has no GRPO option for it; mapped to adv_estimator=reinforce_plus_plus_baseline (group mean subtracted, then whitened over the batch, so the batch mean is removed too)", true);
  }
  warn('objective.advantage.eps', 'unsupported', `advantage eps ${objective.advantage.eps}: verl adds a fixed 1e-6 to the group std`);
  put(c, 'actor_rollout_ref.actor.clip_ratio', objective.clip.epsLow);
  put(c, 'actor_rollout_ref.actor.clip_ratio_low', objective.clip.epsLow);
  put(c, 'actor_rollout_ref.actor.clip_ratio_high', objective.clip.epsHigh);
  put(c, 'actor_rollout_ref.actor.loss_agg_mode', LOSS_AGG_MODE[objective.lossAggregation]);
  if (objective.lossAggregation === 'constant') {
    // Dr. GRPO divides the token sum by a constant; verl's mode divides by loss_scale_factor (default: padded length).
    put(c, 'actor_rollout_ref.actor.loss_scale_factor', rollout.maxNewTokens);
    warn('objective.lossAggregation', 'approximate', "constant (Dr. GRPO): verl's seq-mean-token-sum-norm divides the summed token losses by loss_scale_factor = maxNewTokens but not by the number of responses, so the loss (and the effective learning rate) is larger by the mini-batch size", true);
  }
  put(c, 'actor_rollout_ref.actor.ppo_epochs', objective.updateEpochs);
  put(c, 'actor_rollout_ref.actor.ppo_mini_batch_size', miniBatchPrompts(grpo, warn));
  put(c, 'actor_rollout_ref.actor.entropy_coeff', 0);
  // Token-budget micro-batches instead of a fixed micro-batch size: one setting that fits any GPU count
  // (the ref and rollout log-prob passes follow the actor's setting through verl's interpolations).
  put(c, 'actor_rollout_ref.actor.use_dynamic_bsz', true);
  put(c, 'actor_rollout_ref.actor.ppo_max_token_len_per_gpu', Math.max(16384, 2 * (options.maxPromptLength + rollout.maxNewTokens)));
  if (objective.kl.beta > 0) {
    put(c, 'actor_rollout_ref.actor.use_kl_loss', true);
    put(c, 'actor_rollout_ref.actor.kl_loss_coef', objective.kl.beta);
    // verl's "low_var_kl" is k3, clamped to [-10, 10].
    put(c, 'actor_rollout_ref.actor.kl_loss_type', 'low_var_kl');
  } else {
    put(c, 'actor_rollout_ref.actor.use_kl_loss', false);
    put(c, 'actor_rollout_ref.actor.kl_loss_coef', 0);
  }

  // Over-long responses.
  if (objective.overlong.mode === 'mask') {
    warn('objective.overlong.mode', 'unsupported', 'overlong mask (truncated responses left out of the loss): verl has no such option; truncated responses are trained on', true);
  } else if (soft) {
    const length = objective.overlong.length ?? rollout.maxNewTokens;
    put(c, 'reward_model.overlong_buffer.enable', true);
    put(c, 'reward_model.overlong_buffer.len', objective.overlong.buffer);
    put(c, 'reward_model.overlong_buffer.penalty_factor', objective.overlong.penalty);
    put(c, 'reward_model.overlong_buffer.log', false);
    if (length !== rollout.maxNewTokens) {
      warn('objective.overlong.length', 'approximate', `soft over-long length ${length}: DAPO's buffer always ends at max_response_length (${rollout.maxNewTokens})`, true);
    }
  }

  // Batch shaping.
  if (grpo.dynamicSampling.enabled) {
    put(c, 'algorithm.filter_groups.enable', true);
    // seq_reward = the summed token-level score = our total reward; a component name is a key of the dict
    // saenggak_reward.py returns (it returns every component), as DAPO's recipe filters on its 'acc' key.
    put(c, 'algorithm.filter_groups.metric', grpo.dynamicSampling.by === 'total' ? 'seq_reward' : grpo.dynamicSampling.by);
    put(c, 'algorithm.filter_groups.max_num_gen_batches', grpo.dynamicSampling.maxRounds + 1);
    put(c, 'data.gen_batch_size', rollout.promptsPerStep);
  }
  if (grpo.difficultyFilter.enabled) warn('difficultyFilter', 'unsupported', 'online difficulty filter: verl has no equivalent (dynamic sampling, algorithm.filter_groups, is the closest); prompts are not skipped by pass rate', true);
  if (grpo.varianceAwareSampling.enabled) warn('varianceAwareSampling', 'unsupported', 'variance-aware sampling: verl has no equivalent; prompts are drawn in dataset order', true);
  if (grpo.curriculum.enabled) warn('curriculum', 'unsupported', 'self-evolving curriculum: verl has no equivalent; prompts are drawn in dataset order', true);
  if (grpo.objective.clip.mode === 'gppo') warn('objective.clip.mode', 'unsupported', 'gradient-preserving clipping (GPPO): verl\'s PPO loss has no such mode; clipped tokens send no gradient', true);
  if (grpo.replay.enabled) warn('replay', 'unsupported', 'replay buffer: verl has no equivalent; all-wrong groups are not patched with earlier successes', true);

  // Rewards: served by `saenggak serve rewards`, called from saenggak_reward.py.
  if (entry === 'dapo') {
    put(c, 'reward_model.reward_manager', 'dapo');
    put(c, 'custom_reward_function.name', 'compute_score');
  } else {
    // One HTTP request per batch instead of one per response.
    put(c, 'reward_model.reward_manager', 'batch');
    put(c, 'custom_reward_function.name', 'compute_score_batch');
  }
  put(c, 'custom_reward_function.path', 'saenggak_reward.py');
  // Components come back with the score, so verl logs them (val-aux/<source>/accuracy/mean@1, ...).
  put(c, 'custom_reward_function.reward_kwargs', { return_dict: true });
  put(c, 'reward_model.enable', false);
  // verl 0.7's reward loop (on by default) scores one response per call and has no batch manager; the
  // classic path calls the reward function once per batch, one HTTP request instead of hundreds.
  put(c, 'reward_model.use_reward_loop', false);
  if (grpo.rewards.rewardModel) warn('rewards.rewardModel', 'unsupported', "the reward model on the summary: the reward server scores the rule-based components only, and verl's own reward model scores the whole response; serve it separately or drop the component", true);
  if (grpo.rewards.judge) warn('rewards.judge', 'unsupported', 'the judge reward: the reward server scores the rule-based components only', true);

  // Optimisation.
  put(c, 'actor_rollout_ref.actor.optim.lr', optimization.learningRate);
  put(c, 'actor_rollout_ref.actor.optim.lr_warmup_steps', optimization.schedule.warmupSteps > 0 ? optimization.schedule.warmupSteps : -1);
  put(c, 'actor_rollout_ref.actor.optim.weight_decay', optimization.weightDecay);
  put(c, 'actor_rollout_ref.actor.optim.betas', [optimization.beta1, optimization.beta2]);
  if (optimization.schedule.decay === 'cosine') {
    put(c, 'actor_rollout_ref.actor.optim.lr_scheduler_type', 'cosine');
    put(c, 'actor_rollout_ref.actor.optim.min_lr_ratio', optimization.schedule.minLearningRateRatio);
  } else {
    put(c, 'actor_rollout_ref.actor.optim.lr_scheduler_type', 'constant');
    if (optimization.schedule.decay === 'linear') warn('optimization.schedule.decay', 'approximate', 'linear decay: verl schedules are constant or cosine; exported as constant (after warm-up)', true);
  }
  if (optimization.maxGradNorm === null) {
    // verl always clips; a huge threshold is "off" in effect.
    put(c, 'actor_rollout_ref.actor.optim.clip_grad', 1e9);
    warn('optimization.maxGradNorm', 'approximate', 'no gradient clipping: verl always clips; exported as clip_grad = 1e9', true);
  } else {
    put(c, 'actor_rollout_ref.actor.optim.clip_grad', optimization.maxGradNorm);
  }

  // Bookkeeping.
  put(c, 'trainer.project_name', options.project);
  put(c, 'trainer.experiment_name', options.experiment);
  put(c, 'trainer.total_training_steps', grpo.steps);
  put(c, 'trainer.total_epochs', 1000);
  put(c, 'trainer.save_freq', grpo.saveEvery);
  put(c, 'trainer.max_actor_ckpt_to_keep', grpo.keepCheckpoints);
  put(c, 'trainer.test_freq', grpo.evalEvery > 0 ? grpo.evalEvery : -1);
  put(c, 'trainer.val_before_train', true);
  // console for the terminal, file for `saenggak export verl-import-metrics` (JSONL, one line per step).
  put(c, 'trainer.logger', ['console', 'file']);
  put(c, 'trainer.critic_warmup', 0);
  put(c, 'trainer.nnodes', 1);
  put(c, 'trainer.n_gpus_per_node', 1);
  warn('provider', 'unsupported', 'provider: verl runs on the cluster GPUs (trainer.n_gpus_per_node / nnodes in the run scripts)');
  warn('memoryLimitGiB', 'unsupported', 'memoryLimitGiB: verl sizes memory through actor_rollout_ref.rollout.gpu_memory_utilization and micro-batch settings');
  warn('heldOut.maxNewTokens', 'unsupported', 'heldOut.maxNewTokens: verl validates with max_response_length');

  const document: Record<string, unknown> = {
    // Hydra: start from verl's defaults (installed package, or the DAPO recipe's config in a verl checkout).
    hydra: { searchpath: entry === 'dapo' ? ['file://recipe/dapo/config', 'file://verl/trainer/config', 'pkg://verl.trainer.config'] : ['pkg://verl.trainer.config'] },
    defaults: [entry === 'dapo' ? 'dapo_trainer' : 'ppo_trainer', '_self_'],
    ...c,
  };
  return { config: document, entry, warnings };
}

/**
 * verl counts mini-batches in prompts (each expands to rollout.n responses); our miniBatch counts
 * responses. Default: the whole rollout batch, one optimizer step per epoch.
 */
function miniBatchPrompts(grpo: GrpoConfig, warn: (field: string, kind: MappingWarning['kind'], message: string, always?: boolean) => void): number {
  const { promptsPerStep, groupSize } = grpo.rollout;
  const responses = grpo.objective.miniBatch;
  if (responses === undefined) return promptsPerStep;
  const prompts = Math.max(1, Math.round(responses / groupSize));
  if (prompts * groupSize !== responses) {
    warn('objective.miniBatch', 'approximate', `miniBatch ${responses} responses is not a multiple of groupSize ${groupSize}: verl counts mini-batches in prompts, exported as ${prompts} prompts (${prompts * groupSize} responses)`, true);
  }
  if (promptsPerStep % prompts !== 0) {
    warn('objective.miniBatch', 'approximate', `verl needs train_batch_size (${promptsPerStep}) divisible by ppo_mini_batch_size (${prompts}); adjust promptsPerStep or miniBatch`, true);
  }
  return prompts;
}
