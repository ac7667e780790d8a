// README.md of an export folder: what is in it, how to run it, how to bring the results back, and every
// option of the recipe that verl cannot honour exactly.
import type { ExportVerlResult } from './result.ts';
import { CONFIG_NAME } from './scripts.ts';

export function exportReadme(recipeName: string, result: ExportVerlResult, modelPath: string): string {
  const dapo = result.entry === 'dapo';
  const model = modelPath || '/path/to/model';
  const warnings = result.warnings.length
    ? result.warnings.map((w) => `- \`${w.field}\` (${w.kind}): ${w.message}`).join('\n')
    : '- none: every option of the grpo stage maps to a verl key.';
  const sft = result.rows.sftTrain > 0;
  return `# verl export of recipe "${recipeName}"

Written by \`saenggak export verl\` for verl ${result.verl}${dapo ? " (DAPO's trainer: `recipe.dapo.main_dapo`, run from a verl checkout)" : ' (`verl.trainer.main_ppo`)'}.

| file | what |
|---|---|
| train.parquet | ${result.rows.train} RL prompts (${result.sources.train}) |
| val.parquet | ${result.rows.val} validation prompts (${result.sources.val}) |
${sft ? `| sft_train.parquet, sft_val.parquet | ${result.rows.sftTrain} + ${result.rows.sftVal} chat conversations for verl's SFT trainer (${result.sources.sft}) |\n` : ''}| ${CONFIG_NAME}.yaml | the trainer config (Hydra; defaults = verl's \`${dapo ? 'dapo_trainer' : 'ppo_trainer'}\`), data.max_prompt_length = ${result.maxPromptLength} |
| rewards.yaml | the reward composition the reward server scores with |
| saenggak_reward.py | verl's custom reward function: calls the reward server (standard library only) |
| run_single_node.sh, run_ray_cluster.sh | launchers (\`--help\` lists the parameters) |
| export.json | this export as JSON (rows, sources, warnings) |

Parquet columns (RL): \`data_source\`, \`prompt\` (list of \`{role, content}\`), \`ability\`, \`reward_model\`
(\`{style: "rule", ground_truth}\`), \`extra_info\` (\`{index, split, language, prompt}\`). SFT: \`messages\`.

## Run

1. Serve the rewards on a machine the GPU nodes reach (it prints a token):

       saenggak serve rewards --host 0.0.0.0 --port 5124 --config rewards.yaml

2. One node:

       SAENGGAK_REWARD_TOKEN=<token> ./run_single_node.sh --model ${model} --gpus 8 \\
           --reward-url http://<reward-host>:5124${dapo ? ' --verl-dir /path/to/verl' : ''}

   A Ray cluster (this folder and the model on a filesystem every node sees):

       export SAENGGAK_REWARD_TOKEN=<token> SAENGGAK_REWARD_URL=http://<reward-host>:5124   # on every node
       ./run_ray_cluster.sh head --gpus 8                    # on the head node
       ./run_ray_cluster.sh worker --head <head-ip> --gpus 8 # on every other node
       ./run_ray_cluster.sh train --nnodes 2 --gpus 8 --model ${model}${dapo ? ' --verl-dir /path/to/verl' : ''}

   Ray's workers take the reward server's address and token from the environment of \`ray start\`.

   Extra arguments are Hydra overrides (\`trainer.total_training_steps=10\`). Checkpoints go to \`checkpoints/\`,
   the console log to \`logs/console.log\`, per-step metrics (verl's file logger) to \`logs/metrics.jsonl\`.
${sft ? `
   SFT first, if the policy is not distilled yet (verl's SFT trainer, multi-turn mode):

       torchrun --nproc_per_node=8 -m verl.trainer.fsdp_sft_trainer \\
           data.train_files=$PWD/sft_train.parquet data.val_files=$PWD/sft_val.parquet \\
           data.multiturn.enable=true data.multiturn.messages_key=messages \\
           model.partial_pretrain=${model} trainer.default_local_dir=$PWD/sft-checkpoints
` : ''}
## Bring the results back

    python3 -m verl.model_merger merge --backend fsdp \\
        --local_dir checkpoints/global_step_<N>/actor --target_dir merged
    saenggak export verl-import-model --from merged --name ${recipeName}-verl --workspace <workspace>${result.lora ? ` --lora-alpha ${result.lora.alpha}` : ''}
    saenggak export verl-import-metrics --from logs/metrics.jsonl --run ${recipeName}-verl --workspace <workspace>

The model lands in \`models/${recipeName}-verl/\` (checked against its config and loaded once) and evaluates like
any other${result.lora ? ` (LoRA: the merger writes the adapter to merged/lora_adapter with lora_alpha 0; --lora-alpha ${result.lora.alpha} is this recipe's alpha, and the import merges the adapter into the weights)` : ''}; the metrics become a GRPO run whose charts sit beside local runs. \`logs/console.log\` imports too.

## What verl does differently

${warnings}
`;
}
