// A verifiable synthetic task with a programmatic teacher: multi-step arithmetic stated in Korean, with
// a step-by-step thinking trace and a one-line answer. The demo recipe, the trainers' learning tests and
// the benches use it because its answers can be checked exactly and a tiny model learns it on CPU.
//
//   prompt:   "7에서 시작합니다. 5를 더하고 3을 뺍니다. 결과는 얼마입니까?"
//   response: "<think>\n7에 5를 더하면 12입니다.\n12에서 3을 빼면 9입니다.\n</think>\n\n답은 \boxed{9}입니다."
//
// Every step is a single-digit operation on a running value in 0..18, so the whole step table appears in
// a few hundred problems and held-out problems are new compositions of seen steps: what chain of thought
// makes learnable. `thinkingLang` can make the teacher think in English for some samples; a model
// distilled from such a mix reasons in Korean only part of the time, which the language reward fixes.
// `shortcutShare` makes the teacher hasty for some samples: it skips the working and states the result in
// one line ("바로 계산하면 9입니다."), still correct. Distillation sets mixed from several teachers look like
// this; a student copies both habits, and on three-step problems the hasty one is mostly wrong (a two-layer
// student cannot do three steps in its head; two it does about as well as on paper, measured), so the
// accuracy reward has a behaviour to select, as the language reward does — what GRPO is known to do well
// (sharpen behaviours the SFT model already has).
import { Rng } from '../../engine/rng.ts';
import type { ChatMessage } from '../../models/chat.ts';

export type Op = '+' | '-';

export interface ArithmeticProblem {
  id: string;
  start: number;
  steps: { op: Op; operand: number }[];
  answer: number;
  /** The Korean question (the user turn). */
  prompt: string;
  /** The thinking (without tags) and the answer line the teacher writes. */
  thinking: string;
  summary: string;
  /** `<think>\n…\n</think>\n\n…`: the whole assistant turn. */
  response: string;
  thinkingLang: 'ko' | 'en';
  /** The teacher skipped the working (see shortcutShare). */
  shortcut: boolean;
}

export interface ArithmeticTaskOptions {
  count: number;
  seed?: number;
  /** Operations per problem (default 2). */
  steps?: number;
  /** Share of samples whose teacher thinking is in English (default 0). */
  englishThinkingShare?: number;
  /** Share of samples whose teacher skips the working and states only the result (default 0). */
  shortcutShare?: number;
  /** Prefix of the ids (default "arith"). */
  idPrefix?: string;
}

const MAX_VALUE = 18;

/** 을/를 after a number read aloud in Korean (object particle by the last syllable's final consonant). */
function objectParticle(n: number): string {
  // Readings of the last digit (and 10, 0): 일 이 삼 사 오 육 칠 팔 구 십 영 — batchim for 1,3,6,7,8,0(영),10(십).
  const last = n % 10 === 0 && n !== 0 ? 10 : n % 10;
  return [0, 1, 3, 6, 7, 8, 10].includes(last) ? '을' : '를';
}

function problem(rng: Rng, index: number, options: Required<Omit<ArithmeticTaskOptions, 'count' | 'seed'>>): ArithmeticProblem {
  const start = rng.int(10); // 0..9
  let value = start;
  const steps: { op: Op; operand: number }[] = [];
  const koLines: string[] = [];
  const enLines: string[] = [];
  for (let s = 0; s < options.steps; s++) {
    const ops: Op[] = [];
    if (value + 1 <= MAX_VALUE) ops.push('+');
    if (value - 1 >= 0) ops.push('-');
    const op = ops[rng.int(ops.length)];
    const operand = 1 + rng.int(op === '+' ? Math.min(9, MAX_VALUE - value) : Math.min(9, value)); // 1..9, result in 0..18
    const next = op === '+' ? value + operand : value - operand;
    koLines.push(op === '+' ? `${value}에 ${operand}${objectParticle(operand)} 더하면 ${next}입니다.` : `${value}에서 ${operand}${objectParticle(operand)} 빼면 ${next}입니다.`);
    enLines.push(op === '+' ? `${value} plus ${operand} is ${next}.` : `${value} minus ${operand} is ${next}.`);
    steps.push({ op, operand });
    value = next;
  }
  const phrases = steps.map(({ op, operand }, i) => {
    const last = i === steps.length - 1;
    const verb = op === '+' ? (last ? '더합니다' : '더하고') : last ? '뺍니다' : '빼고';
    return `${operand}${objectParticle(operand)} ${verb}`;
  });
  const prompt = `${start}에서 시작합니다. ${phrases.join(' ')}. 결과는 얼마입니까?`;
  const thinkingLang = rng.uniform() < options.englishThinkingShare ? 'en' : 'ko';
  // Drawn only when the option is on, so problems made without it stay what they were for a given seed.
  const shortcut = options.shortcutShare > 0 && rng.uniform() < options.shortcutShare;
  const thinking = shortcut
    ? thinkingLang === 'ko'
      ? `바로 계산하면 ${value}입니다.`
      : `Directly, the result is ${value}.`
    : (thinkingLang === 'ko' ? koLines : enLines).join('\n');
  const summary = `답은 \\boxed{${value}}입니다.`;
  return {
    id: `${options.idPrefix}-${index}`,
    start,
    steps,
    answer: value,
    prompt,
    thinking,
    summary,
    response: `<think>\n${thinking}\n</think>\n\n${summary}`,
    thinkingLang,
    shortcut,
  };
}

/** `count` problems, deterministic in `seed`. */
export function arithmeticProblems(options: ArithmeticTaskOptions): ArithmeticProblem[] {
  const rng = new Rng(options.seed ?? 0);
  const full = { steps: options.steps ?? 2, englishThinkingShare: options.englishThinkingShare ?? 0, shortcutShare: options.shortcutShare ?? 0, idPrefix: options.idPrefix ?? 'arith' };
  if (!Number.isInteger(full.steps) || full.steps < 1) throw new Error(`arithmetic task: steps must be a positive integer, got ${full.steps}`);
  for (const key of ['englishThinkingShare', 'shortcutShare'] as const) {
    if (!(full[key] >= 0 && full[key] <= 1)) throw new Error(`arithmetic task: ${key} must be between 0 and 1, got ${full[key]}`);
  }
  return Array.from({ length: options.count }, (_, i) => problem(rng, i, full));
}

/** The problem as a chat (user question, assistant thinking + answer). */
export function arithmeticMessages(p: ArithmeticProblem): ChatMessage[] {
  return [
    { role: 'user', content: p.prompt },
    { role: 'assistant', content: p.response },
  ];
}

/** A dataset row as the data, SFT, evaluation and GRPO stages read it. */
export function arithmeticRow(p: ArithmeticProblem): Record<string, unknown> {
  return { id: p.id, prompt: p.prompt, answer: String(p.answer), lang: 'ko', category: 'math', messages: arithmeticMessages(p), thinking_lang: p.thinkingLang, shortcut: p.shortcut };
}

/** Every character the task can produce (for writeCompactTokenizer), plus ChatML role names. */
export function arithmeticAlphabet(): string {
  const sample = arithmeticProblems({ count: 3000, seed: 12345, steps: 3, englishThinkingShare: 0.5, shortcutShare: 0.5 });
  const text = sample.map((p) => p.prompt + p.response).join('');
  return text + 'userassistantsystem\n 0123456789\\{}.?에서를을는은 plusminusis';
}
