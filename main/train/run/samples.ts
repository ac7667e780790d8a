// The GRPO rollout viewer's data: the steps a run saved samples for (runs/<name>/samples/step-N.jsonl) and
// one step's groups, read defensively (a sample file written by an older trainer still shows what it has).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TextSpan } from '../../rewards/playground-types.ts';
import type { RolloutGroup, RolloutResponse, RunSamples } from './types.ts';
import { CodedError } from '../../store/errors.ts';
import type { RunFolder } from './run-folder.ts';
import { DEFAULT_THINK_TAGS, splitThinking } from '../../rewards/index.ts';

export function sampleSteps(folder: RunFolder): number[] {
  if (!existsSync(folder.samplesDir)) return [];
  const steps: number[] = [];
  for (const file of readdirSync(folder.samplesDir)) {
    const m = /^step-0*(\d+)\.jsonl$/.exec(file);
    if (m) steps.push(Number(m[1]));
  }
  return steps.sort((a, b) => a - b);
}

function sampleFile(folder: RunFolder, step: number): string | null {
  if (!existsSync(folder.samplesDir)) return null;
  for (const file of readdirSync(folder.samplesDir)) {
    const m = /^step-0*(\d+)\.jsonl$/.exec(file);
    if (m && Number(m[1]) === step) return join(folder.samplesDir, file);
  }
  return null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const SPAN_KINDS = new Set(['code', 'math', 'url', 'markdown', 'html', 'number']);

function spansOf(v: unknown): TextSpan[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (s): s is TextSpan =>
      typeof s === 'object' && s !== null && Number.isInteger(s.start) && Number.isInteger(s.end) && SPAN_KINDS.has(s.kind),
  );
}

/**
 * Spans the language reward reports are relative to the thinking it scanned (the block's content with its
 * leading whitespace trimmed); the viewer needs them relative to the response, as rewards.evaluate gives them.
 */
function thinkingSpansInResponse(text: string, spans: TextSpan[]): TextSpan[] {
  const { thinkingSpan } = splitThinking(text, DEFAULT_THINK_TAGS);
  if (!thinkingSpan) return [];
  const raw = text.slice(thinkingSpan[0], thinkingSpan[1]);
  const offset = thinkingSpan[0] + (raw.length - raw.trimStart().length);
  return spans.map((s) => ({ start: s.start + offset, end: s.end + offset, kind: s.kind }));
}

/**
 * One response of a saved group. The GRPO trainer writes {text, reward, components, advantage, stripped
 * (thinking-relative), finishReason, tokens, lang}; `response`/`completion`, `rewards` and response-relative
 * `spans` are read too.
 */
function rolloutResponse(raw: unknown): RolloutResponse {
  const r = (typeof raw === 'string' ? { text: raw } : (raw ?? {})) as Record<string, unknown>;
  const rewards: Record<string, number | null> = {};
  const components = (r.rewards ?? r.components) as unknown;
  if (components && typeof components === 'object' && !Array.isArray(components)) {
    for (const [k, v] of Object.entries(components)) if (k !== 'total') rewards[k] = num(v);
  }
  const total = num(r.reward) ?? num((components as Record<string, unknown> | undefined)?.total);
  const text = str(r.text) ?? str(r.response) ?? str(r.completion) ?? '';
  return {
    text,
    reward: total,
    rewards,
    advantage: num(r.advantage),
    spans: r.spans !== undefined ? spansOf(r.spans) : thinkingSpansInResponse(text, spansOf(r.stripped)),
    truncated: r.truncated === true || r.finishReason === 'length',
    tokens: num(r.tokens) ?? num(r.length),
    lang: num(r.lang),
    replayed: r.replayed === true,
  };
}

/** A samples/step-<N>.jsonl line: {prompt, answer?, lang?, responses: [...]}. */
function rolloutGroup(raw: unknown): RolloutGroup | null {
  if (!raw || typeof raw !== 'object') return null;
  const g = raw as Record<string, unknown>;
  const responses = (g.responses ?? g.completions) as unknown;
  if (!Array.isArray(responses)) return null;
  const advantages = Array.isArray(g.advantages) ? g.advantages : null;
  return {
    prompt: str(g.prompt) ?? '',
    answer: str(g.answer) ?? (typeof g.answer === 'number' ? String(g.answer) : null),
    lang: str(g.lang),
    vps: num(g.vps),
    category: str(g.category),
    responses: responses.map((r, i) => {
      const response = rolloutResponse(r);
      if (response.advantage === null && advantages) response.advantage = num(advantages[i]);
      return response;
    }),
  };
}

export function readSamples(folder: RunFolder, step: number | undefined, limit: number): RunSamples {
  const steps = sampleSteps(folder);
  const chosen = step ?? steps.at(-1) ?? null;
  if (chosen === null) return { steps, step: null, groups: [] };
  const file = sampleFile(folder, chosen);
  if (!file) throw new CodedError('not_found', `run "${basename(folder.dir)}" has no saved rollouts for step ${chosen}`, { steps });
  const groups: RolloutGroup[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || groups.length >= limit) continue;
    try {
      const group = rolloutGroup(JSON.parse(line));
      if (group) groups.push(group);
    } catch {
      // a torn last line of a file being written
    }
  }
  return { steps, step: chosen, groups };
}
