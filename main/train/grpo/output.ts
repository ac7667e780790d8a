// A finished GRPO run's output/: the trained model as a full Hugging Face folder (LoRA merged into the
// base), plus output/adapter/ (the PEFT adapter) for LoRA, and the run's config as grpo_config.json.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mergeLoraAdapter, writeLoraAdapter } from '../../models/peft.ts';
import { saveModel, type HfModel } from '../../models/weights.ts';
import { writeFileAtomic } from '../../store/durable.ts';
import type { GrpoConfig } from './config.ts';
import type { Policy } from './policy.ts';

/** Writes output/ into `dir` (the run's outputDir) and returns it. */
export async function writeOutput(dir: string, policy: Policy, hf: HfModel, modelDir: string, config: GrpoConfig): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { weights, adapter } = await policy.generatorWeights();
  if (adapter) {
    writeLoraAdapter(join(dir, 'adapter'), adapter);
    saveModel(dir, { ...hf, weights: mergeLoraAdapter(hf.weights, adapter) }, { tokenizerDir: modelDir });
  } else saveModel(dir, { ...hf, weights: new Map(weights) }, { tokenizerDir: modelDir });
  await writeFileAtomic(join(dir, 'grpo_config.json'), JSON.stringify(config, null, 2) + '\n');
  return dir;
}
