// A model card (README.md) for a pushed model, from what the lab knows about how it was made: the run
// folder around an output (runs/<name>/run.json, config.yaml, metrics.jsonl) or the `*_config.yaml` the
// trainers save next to their output. Hub metadata goes in the YAML front matter (base_model, tags, ...).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

export interface CardFacts {
  repo: string;
  kind: string | null;
  baseModel: string | null;
  data: string | null;
  recipe: string | null;
  metrics: Record<string, number>;
  architecture: string | null;
  isAdapter: boolean;
}

const METHOD: Record<string, string> = {
  sft: 'Supervised fine-tuning (distillation of teacher reasoning traces: `<think>…</think>` then a summary), assistant-only loss.',
  grpo: 'Reinforcement learning with GRPO: rule-based math rewards, a format reward and a language-consistency reward on the thinking.',
  rm: 'Bradley-Terry reward model trained on chosen/rejected preference pairs.',
};

/** Everything the card says, read from the model folder and the run folder around it (when there is one). */
export function cardFacts(modelDir: string, repo: string): CardFacts {
  const dir = resolve(modelDir);
  const runDir = existsSync(join(dirname(dir), 'run.json')) ? dirname(dir) : existsSync(join(dir, 'run.json')) ? dir : null;
  const facts: CardFacts = { repo, kind: null, baseModel: null, data: null, recipe: null, metrics: {}, architecture: null, isAdapter: existsSync(join(dir, 'adapter_config.json')) };
  if (runDir) {
    const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { kind?: string; baseModel?: string; data?: string; summary?: Record<string, number> };
    facts.kind = info.kind ?? null;
    facts.baseModel = info.baseModel ?? null;
    facts.data = info.data ?? null;
    for (const [k, v] of Object.entries(info.summary ?? {})) if (typeof v === 'number' && Number.isFinite(v)) facts.metrics[k] = v;
    if (existsSync(join(runDir, 'config.yaml'))) facts.recipe = readFileSync(join(runDir, 'config.yaml'), 'utf8');
    const metricsPath = join(runDir, 'metrics.jsonl');
    if (existsSync(metricsPath)) {
      const evals = readFileSync(metricsPath, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter((r) => r && r.split === 'eval');
      const last = evals[evals.length - 1];
      if (last) for (const [k, v] of Object.entries(last)) if (k !== 'step' && typeof v === 'number' && Number.isFinite(v) && !(k in facts.metrics)) facts.metrics[`eval/${k}`] = v;
    }
  }
  const saved = existsSync(dir) ? readdirSync(dir).find((f) => /^(sft|grpo|rm)_config\.ya?ml$/.test(f)) : undefined;
  if (saved) {
    const text = readFileSync(join(dir, saved), 'utf8');
    facts.recipe ??= text;
    facts.kind ??= saved.split('_')[0];
    const cfg = parse(text) as Record<string, unknown> | null;
    if (cfg && typeof cfg.model === 'string') facts.baseModel ??= cfg.model;
    if (cfg && !facts.data) {
      const d = cfg.data ?? cfg.prompts ?? cfg.dataset;
      facts.data = typeof d === 'string' ? d : d && typeof d === 'object' && typeof (d as { path?: unknown }).path === 'string' ? (d as { path: string }).path : null;
    }
  }
  const configPath = join(dir, facts.isAdapter ? 'adapter_config.json' : 'config.json');
  if (existsSync(configPath)) {
    const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
    facts.architecture = Array.isArray(cfg.architectures) ? cfg.architectures[0] : null;
    if (facts.isAdapter && typeof cfg.base_model_name_or_path === 'string') facts.baseModel ??= cfg.base_model_name_or_path;
  }
  return facts;
}

/** A Hub id ("org/name") is linked as base_model; a local path is only mentioned. */
const hubId = (s: string | null) => (s && /^[\w.-]+\/[\w.-]+$/.test(s) && !existsSync(s) ? s : null);

export function buildModelCard(facts: CardFacts): string {
  const front: Record<string, unknown> = {
    library_name: facts.isAdapter ? 'peft' : 'transformers',
    language: ['ko', 'en'],
    pipeline_tag: facts.kind === 'rm' ? 'text-classification' : 'text-generation',
    tags: ['saenggak-lab', 'reasoning', ...(facts.kind ? [facts.kind] : [])],
  };
  const base = hubId(facts.baseModel);
  if (base) front.base_model = base;
  const lines = ['---', stringify(front).trim(), '---', '', `# ${basename(facts.repo)}`, '', 'Made with Saenggak Lab (생각 랩), a desktop lab for small reasoning models that think in Korean.', ''];
  lines.push('## Base model', '', facts.baseModel ? (base ? `[${base}](https://huggingface.co/${base})` : `\`${facts.baseModel}\``) : 'Not recorded.', '');
  if (facts.architecture) lines.push(`Architecture: \`${facts.architecture}\`${facts.isAdapter ? ' (a PEFT LoRA adapter: load it on top of the base model)' : ''}.`, '');
  lines.push('## Data', '', facts.data ? `\`${facts.data}\`` : 'Not recorded.', '');
  lines.push('## Method', '', facts.kind ? METHOD[facts.kind] ?? facts.kind : 'Not recorded.', '');
  const metrics = Object.entries(facts.metrics);
  lines.push('## Metrics', '');
  if (metrics.length) lines.push('| metric | value |', '|---|---|', ...metrics.map(([k, v]) => `| ${k} | ${Number.isInteger(v) ? v : Number(v.toPrecision(4))} |`), '');
  else lines.push('None recorded.', '');
  if (facts.recipe) lines.push('## Recipe', '', 'The resolved training config; `saenggak train ' + (facts.kind ?? '<kind>') + ' --config` reproduces the run.', '', '```yaml', facts.recipe.trim(), '```', '');
  lines.push('## Use', '', '```python', 'from transformers import AutoModelForCausalLM, AutoTokenizer', `tok = AutoTokenizer.from_pretrained("${facts.repo}")`, `model = AutoModelForCausalLM.from_pretrained("${facts.repo}")`, '```', '');
  return lines.join('\n');
}
