// A run's config checked against its kind's schema, shared by starting a run and estimating its memory.
import type { RunKindName } from './types.ts';
import { CodedError } from '../../store/errors.ts';
import { sftConfigSchema } from '../sft/config.ts';
import { grpoConfigSchema } from '../grpo/config.ts';

/** Validates a config with its kind's schema; errors list every field with what to set. */
export function validateConfig(kind: RunKindName, config: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'rm') return config; // the rm job validates its own config (no shared schema yet)
  const schema = kind === 'sft' ? sftConfigSchema : grpoConfigSchema;
  const parsed = schema.safeParse(config);
  if (parsed.success) return config;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
  throw new CodedError('invalid_input', `invalid ${kind.toUpperCase()} config: ${issues.join('; ')}`, { issues });
}
