// Chat messages and the thinking format the lab trains: the assistant reasons inside
// `<think>…</think>` and then answers (the layout of Qwen3 and DeepSeek-R1 distills):
//
//   <think>
//   reasoning
//   </think>
//
//   answer

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** Qwen3 templates accept the reasoning separately; others expect it inside `content`. */
  reasoning_content?: string;
}

export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

/** Assistant text in the thinking format: `<think>\n{thinking}\n</think>\n\n{answer}`. */
export function formatThinking(thinking: string, answer: string): string {
  return `${THINK_OPEN}\n${thinking.trim()}\n${THINK_CLOSE}\n\n${answer.trimStart()}`;
}

/**
 * Splits assistant text into thinking and answer. `complete` is false when `<think>` opened but never
 * closed (a truncated generation): everything after it is thinking and the answer is empty. Text
 * without `<think>` but with `</think>` counts the part before it as thinking, since templates that
 * pre-fill `<think>\n` leave only the closing tag in the generated text.
 */
export function splitThinking(text: string): { thinking: string | null; answer: string; complete: boolean } {
  const close = text.indexOf(THINK_CLOSE);
  const open = text.indexOf(THINK_OPEN);
  if (close < 0) {
    if (open < 0) return { thinking: null, answer: text.trim(), complete: true };
    return { thinking: text.slice(open + THINK_OPEN.length).trim(), answer: '', complete: false };
  }
  const start = open >= 0 && open < close ? open + THINK_OPEN.length : 0;
  return { thinking: text.slice(start, close).trim(), answer: text.slice(close + THINK_CLOSE.length).trim(), complete: true };
}
