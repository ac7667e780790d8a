// Teacher-written self-correction traces for real problems: an OpenAI-compatible teacher (the data
// builder's TeacherClient) is asked to reason in English first, notice, and finish in Korean; the reply
// is kept only when checkSelfCorrection passes (the boxed answer verifies against the gold answer, a
// correction phrase, English before it, Korean after it). Failed replies are retried up to `attempts`.
import type { TeacherReply } from '../../llm/teacher-client.ts';
import { checkSelfCorrection, type SelfCorrectionCheck } from './check.ts';

/** What a teacher needs to offer (TeacherClient does; tests may pass a client of a local server). */
export interface SelfCorrectionTeacher {
  readonly name: string;
  generate(prompt: string, signal?: AbortSignal): Promise<TeacherReply>;
}

/** The system prompt that asks for the trace's shape (Korean words are quoted so the teacher uses them). */
export const SELF_CORRECTION_SYSTEM_PROMPT = [
  'You write worked solutions for training a Korean reasoning model. Think inside <think>…</think>.',
  'Start the reasoning in English. After a few steps, write "잠깐, 다시 확인해 보자." (or "잠깐, 한국어로 다시 생각해 보자."),',
  'then re-check the work and finish the reasoning in Korean only. If an English step was wrong, say so in Korean and fix it.',
  'After </think>, give a short Korean answer with the final result in \\boxed{}.',
].join('\n');

export function selfCorrectionUserPrompt(problem: string): string {
  return `${problem}\n\n(영어로 생각을 시작한 뒤, "잠깐"으로 멈추고 한국어로 다시 확인하며 끝까지 풀어 주세요. 최종 답은 \\boxed{} 안에 쓰세요.)`;
}

export interface TeacherTraceResult {
  response: string | null;
  attempts: number;
  /** The last check (why the last reply failed, when response is null). */
  check: SelfCorrectionCheck | null;
  error?: string;
}

/** The reply as one assistant turn: `<think>…</think>` then the answer. */
export function replyText(reply: Pick<TeacherReply, 'thinking' | 'answer'>): string {
  return reply.thinking ? `<think>\n${reply.thinking.trim()}\n</think>\n\n${reply.answer.trim()}` : reply.answer.trim();
}

export async function teacherSelfCorrection(teacher: SelfCorrectionTeacher, problem: string, gold: string, options: { attempts?: number; signal?: AbortSignal } = {}): Promise<TeacherTraceResult> {
  const attempts = options.attempts ?? 2;
  let check: SelfCorrectionCheck | null = null;
  let error: string | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = replyText(await teacher.generate(selfCorrectionUserPrompt(problem), options.signal));
      check = checkSelfCorrection(response, gold);
      if (check.ok) return { response, attempts: attempt, check };
    } catch (e) {
      error = (e as Error).message;
      if (options.signal?.aborted) break;
    }
  }
  return { response: null, attempts, check, ...(error ? { error } : {}) };
}
