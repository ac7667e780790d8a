// What the judge reward needs from an LLM judge: one request scored into [0, 1]. The HTTP client that does
// it lives in main/llm/judge-client.ts; rewards take any `Judge` (passed in), so they import no network code.
import type { ParsedScore } from './parse-score.ts';
import type { Rubric } from './rubrics.ts';

export type JudgeScore = {
  /** Score in [0, 1] (the judge's score over its scale), or null when the reply had no readable score. */
  score: number | null;
  parsed: ParsedScore | null;
  /** The judge's reply. */
  text: string;
  attempts: number;
};

export type JudgeRequest = {
  prompt: string;
  response: string;
  reference?: string;
  /** 'ko' (default), 'en', or a custom rubric. */
  rubric?: 'ko' | 'en' | Rubric;
};

/** An LLM judge: scores one response with a rubric (a reply without a readable score gives `score: null`). */
export type Judge = {
  score(request: JudgeRequest, signal?: AbortSignal): Promise<JudgeScore>;
};
