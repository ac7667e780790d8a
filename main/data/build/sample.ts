// The unit the filters work on: one teacher response to one prompt, with what the filters need to know.
import type { Connection } from '@lancedb/lancedb';

export type BuildSample = {
  /** `${promptId}/${teacher}/${sampleIdx}`: unique within a build. */
  key: string;
  promptId: string;
  prompt: string;
  /** Gold answer of the prompt, when the source has one. */
  gold: string | null;
  category: string | null;
  teacher: string;
  sampleIdx: number;
  thinking: string;
  answer: string;
  /** The full assistant turn: `<think>\n…\n</think>\n\n` + answer (just the answer without thinking). */
  response: string;
  finishReason: string | null;
};

/** One filter's verdict on one sample; `score` and `label` explain it (judge score, pass rate, ...). */
export type FilterDecision = { keep: boolean; reason?: string; score?: number; label?: string };

export type FilterContext = {
  signal?: AbortSignal;
  log: (line: string) => void;
  /** LanceDB connection for scratch tables (near-duplicate search). */
  connection: () => Promise<Connection>;
  /** Prefix for scratch table names, unique per build. */
  scratchPrefix: string;
};

/** A filter step. `decide` sees only the samples that survived the earlier steps, in build order. */
export interface SampleFilter {
  /** Unique within a recipe: the step's name in the funnel and in each row's provenance. */
  readonly name: string;
  decide(samples: readonly BuildSample[], ctx: FilterContext): Promise<FilterDecision[]>;
}

export function joinResponse(thinking: string, answer: string): string {
  return thinking ? `<think>\n${thinking}\n</think>\n\n${answer}` : answer;
}

/** The text of a sample a filter looks at. */
export type SampleField = 'prompt' | 'response' | 'thinking' | 'answer' | 'prompt_and_response';

export function fieldText(sample: BuildSample, field: SampleField): string {
  switch (field) {
    case 'prompt':
      return sample.prompt;
    case 'response':
      return sample.response;
    case 'thinking':
      return sample.thinking;
    case 'answer':
      return sample.answer;
    case 'prompt_and_response':
      return `${sample.prompt}\n\n${sample.response}`;
  }
}
