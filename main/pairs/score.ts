// Scoring collected responses with up to three scorers: local sequence-classification reward models
// (models/reward-model.ts) or an LLM judge (rewards/judge). Scores are stored per scorer in
// pairs/<collection>/scores.jsonl ({response_id, scorer, score} lines, appended and fsynced per
// batch), so a rerun scores only what is missing and an interrupted one loses at most a batch.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { apiKeyFrom } from '../llm/recipe-fields.ts';
import { JudgeClient } from '../llm/judge-client.ts';
import type { ScorerRecipe } from './recipe.ts';
import { responseText, type CollectedResponse, type ScoreTable } from './types.ts';

type ScoreLine = { response_id: string; scorer: string; score: number };

/** The durable score file: read back on open (torn last line cut), appended in fsynced batches. */
export class ScoreLog {
  readonly table: ScoreTable = new Map();
  private readonly fd: number;

  constructor(readonly path: string) {
    let valid = 0;
    let total = 0;
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      total = bytes.length;
      valid = bytes.lastIndexOf(0x0a) + 1;
      for (const line of bytes.subarray(0, valid).toString('utf8').split('\n')) {
        if (!line) continue;
        const entry = JSON.parse(line) as ScoreLine;
        this.remember(entry);
      }
    }
    this.fd = openSync(path, 'a+');
    if (total > valid) {
      ftruncateSync(this.fd, valid);
      fsyncSync(this.fd);
    }
  }

  private remember(entry: ScoreLine): void {
    const byId = this.table.get(entry.scorer) ?? new Map<string, number>();
    byId.set(entry.response_id, entry.score);
    this.table.set(entry.scorer, byId);
  }

  has(scorer: string, id: string): boolean {
    return this.table.get(scorer)?.has(id) ?? false;
  }

  append(entries: readonly ScoreLine[]): void {
    if (entries.length === 0) return;
    const buffer = Buffer.from(entries.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    fsyncSync(this.fd);
    for (const e of entries) this.remember(e);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Scores responses in order; null where the scorer had no readable score for a response. */
export type Scorer = { name: string; batchSize: number; score(batch: readonly CollectedResponse[], signal?: AbortSignal): Promise<(number | null)[]>; release(): Promise<void> };

async function rewardModelScorer(spec: Extract<ScorerRecipe, { type: 'reward_model' }>, baseDir: string, log: (line: string) => void): Promise<Scorer> {
  const dir = resolve(baseDir, spec.model_dir);
  const { Tokenizer } = await import('../models/tokenizer.ts');
  const { RewardModel } = await import('../models/reward-model.ts');
  const tokenizer = Tokenizer.load(dir);
  // The session maps the checkpoint files: no copy of the weights in JS.
  const model = await RewardModel.fromFolder(dir);
  return {
    name: spec.name,
    batchSize: spec.batch_size,
    async score(batch) {
      const sequences = batch.map((r) => {
        const ids = tokenizer.encodeChat([
          { role: 'user', content: r.prompt },
          { role: 'assistant', content: responseText(r) },
        ]);
        if (ids.length > spec.max_tokens) log(`scorer ${spec.name}: response ${r.id} has ${ids.length} tokens; scored on its first ${spec.max_tokens}`);
        return ids.slice(0, spec.max_tokens);
      });
      return model.rewards(sequences, spec.batch_size);
    },
    release: () => model.release(),
  };
}

function judgeScorer(spec: Extract<ScorerRecipe, { type: 'judge' }>, env: Record<string, string | undefined>, log: (line: string) => void): Scorer {
  const client = new JudgeClient({
    baseUrl: spec.base_url,
    model: spec.model,
    apiKey: apiKeyFrom(env, spec.api_key_env, `scorer "${spec.name}"`),
    concurrency: spec.concurrency,
    timeoutMs: spec.timeout_s ? spec.timeout_s * 1000 : undefined,
    maxRetries: spec.max_retries,
  });
  return {
    name: spec.name,
    batchSize: spec.concurrency * 4,
    async score(batch, signal) {
      return Promise.all(
        batch.map(async (r) => {
          const result = await client.score({ prompt: r.prompt, response: responseText(r), rubric: spec.rubric }, signal);
          if (result.score === null) log(`scorer ${spec.name}: no readable score for ${r.id}; left unscored`);
          return result.score;
        }),
      );
    },
    release: async () => undefined,
  };
}

export async function createScorer(spec: ScorerRecipe, options: { baseDir: string; env?: Record<string, string | undefined>; log?: (line: string) => void }): Promise<Scorer> {
  const log = options.log ?? (() => undefined);
  return spec.type === 'reward_model' ? rewardModelScorer(spec, options.baseDir, log) : judgeScorer(spec, options.env ?? process.env, log);
}

export type ScoreOptions = {
  signal?: AbortSignal;
  onProgress?: (progress: { scorer: string; done: number; total: number }) => void;
};

/** Scores every response the log lacks for each scorer; returns the full table (raw scores) afterwards. */
export async function scoreResponses(responses: readonly CollectedResponse[], scorers: readonly Scorer[], log: ScoreLog, options: ScoreOptions = {}): Promise<ScoreTable> {
  for (const scorer of scorers) {
    const todo = responses.filter((r) => !log.has(scorer.name, r.id));
    let done = responses.length - todo.length;
    options.onProgress?.({ scorer: scorer.name, done, total: responses.length });
    for (let start = 0; start < todo.length; start += scorer.batchSize) {
      options.signal?.throwIfAborted();
      const batch = todo.slice(start, start + scorer.batchSize);
      const scores = await scorer.score(batch, options.signal);
      const lines: ScoreLine[] = [];
      batch.forEach((r, i) => {
        const score = scores[i];
        if (score !== null && Number.isFinite(score)) lines.push({ response_id: r.id, scorer: scorer.name, score });
      });
      log.append(lines);
      done += batch.length;
      options.onProgress?.({ scorer: scorer.name, done, total: responses.length });
    }
  }
  const wanted = new Set(scorers.map((s) => s.name));
  const ids = new Set(responses.map((r) => r.id));
  const table: ScoreTable = new Map();
  for (const [scorer, byId] of log.table) {
    if (!wanted.has(scorer)) continue;
    table.set(scorer, new Map([...byId].filter(([id]) => ids.has(id))));
  }
  return table;
}
