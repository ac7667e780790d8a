// How recipes spell an OpenAI-compatible endpoint and its requests (snake_case YAML keys, validated with zod):
// the data build's teachers and judge filter, and the pairs recipe's generators and judges. API keys are never
// written in a recipe: `api_key_env` names the environment variable that holds one (apiKeyFrom reads it).
import { z } from 'zod';

const noInlineKey = { api_key: z.never({ error: 'do not put API keys in a recipe: export the key in an environment variable and set api_key_env to its name' }).optional() };

/** An OpenAI-compatible endpoint as recipes spell it (teachers, judges; the pairs recipe's generators and judges too). */
export const endpointFields = {
  base_url: z.url({ protocol: /^https?$/, error: 'base_url must be an http(s) URL such as http://localhost:8000/v1' }),
  model: z.string().min(1),
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'api_key_env is the name of an environment variable').optional(),
  ...noInlineKey,
  concurrency: z.int().min(1).max(1024).default(4),
  timeout_s: z.number().positive().optional(),
  max_retries: z.int().min(0).max(20).optional(),
};

/**
 * OpenAI chat-completions sampling fields, passed to the server as written. `n` caps the samples asked in
 * one request (the client batches a prompt's samples with `n` when the server honours it; 1 turns that off).
 */
export const samplingSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.int().optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  n: z.int().min(1).max(128).optional(),
  max_tokens: z.int().positive().optional(),
  max_completion_tokens: z.int().positive().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).optional(),
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
  user: z.string().optional(),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `sampling takes OpenAI fields only (temperature, top_p, seed, stop, n, max_tokens, max_completion_tokens, presence_penalty, frequency_penalty, logit_bias, reasoning_effort, user); put server-specific fields such as ${(issue as { keys: string[] }).keys.join(', ')} in extra_body` : undefined) });

/** Sampling and request-body fields every OpenAI-compatible generator takes (teachers; the pairs recipe's generators). */
export const requestFields = {
  sampling: samplingSchema.optional(),
  /** Server-specific body fields merged last (vLLM: chat_template_kwargs, repetition_penalty, top_k, min_p). */
  extra_body: z
    .record(z.string(), z.unknown())
    .refine((body) => !['model', 'messages', 'stream', 'stream_options'].some((k) => k in body), 'extra_body may not set model, messages, stream or stream_options (the client sets them)')
    .optional(),
  /** Overall deadline per request in seconds, not reset by streamed tokens (default max(timeout_s, 1800)). */
  deadline_s: z.number().positive().optional(),
};

/** The API key a recipe names through `api_key_env`, read from `env`; undefined when none is named. */
export function apiKeyFrom(env: Record<string, string | undefined>, variable: string | undefined, who: string): string | undefined {
  if (!variable) return undefined;
  const key = env[variable];
  if (!key) throw new Error(`${who}: environment variable ${variable} (api_key_env) is not set`);
  return key;
}
