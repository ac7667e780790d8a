// The reward server's configuration: which reward components run and their weights, from a YAML file
// (`saenggak serve rewards --config REWARDS.yaml`). The file holds a RewardConfig (main/rewards/compose.ts),
// either at the top level or under a `rewards:` key, so a recipe's reward section can be reused as is.
//
//   accuracy: { weight: 1.0 }
//   format:   { weight: 0.2, requireAnswer: boxed }
//   language: { weight: 0.5 }
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseRewardConfig, type RewardConfig } from '../rewards/index.ts';

/** Used when no file is given: verified answer, well-formed thinking, thinking in the prompt's language. */
export const DEFAULT_SERVED_REWARDS: RewardConfig = {
  accuracy: { weight: 1 },
  format: { weight: 0.2 },
  language: { weight: 0.2 },
};

/**
 * Validates a config for serving. The server scores with the rule-based components only: the judge and the
 * reward model need a model or an endpoint the server does not hold, so asking for them is an error, not a
 * silently different reward.
 */
export function servedRewardConfig(input: unknown, source = 'reward config'): RewardConfig {
  const body = input !== null && typeof input === 'object' && 'rewards' in input && Object.keys(input).length === 1 ? (input as { rewards: unknown }).rewards : input;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Error(`${source}: expected a mapping of reward components (accuracy, format, language) with weights`);
  }
  let config: RewardConfig;
  try {
    config = parseRewardConfig(body);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  const unsupported = (['judge', 'rewardModel'] as const).filter((name) => config[name] !== undefined);
  if (unsupported.length > 0) {
    throw new Error(`${source}: the reward server runs the rule-based components (accuracy, format, language); remove ${unsupported.join(' and ')}`);
  }
  if (!config.accuracy && !config.format && !config.language) {
    throw new Error(`${source}: no reward component is enabled (give at least one of accuracy, format, language a weight)`);
  }
  return config;
}

/** Reads and validates a YAML (or JSON) reward config file; errors name the file and the offending field. */
export async function loadRewardConfigFile(path: string): Promise<RewardConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read reward config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new Error(`reward config ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return servedRewardConfig(parsed, `reward config ${path}`);
}
