// Programmatic self-correction traces for the synthetic Korean arithmetic task (main/train/tasks): the
// problem is read back from its Korean prompt ("7에서 시작합니다. 5를 더하고 3을 뺍니다. 결과는 얼마입니까?"),
// and the trace is written by rule, so every trace is right by construction (and still checked).
//
// Kinds (every one has English reasoning, then a Korean correction phrase, then Korean to the end):
//   english-start  the first steps in English, then "잠깐, 한국어로 다시 확인해 보자." and every step in Korean
//   drift          Korean, one step drifts into English, then the same phrase and Korean from that step on
//   mistake        English with a wrong step, then "잠깐, 계산이 틀렸다. 다시 확인해 보자." and Korean from the
//                  wrong step on, right this time
import { Rng } from '../../engine/rng.ts';
import { MISTAKE_FOUND, SWITCH_BACK } from './phrases.ts';

export type SelfCorrectionKind = 'english-start' | 'drift' | 'mistake';
export const SELF_CORRECTION_KINDS: SelfCorrectionKind[] = ['english-start', 'drift', 'mistake'];

export interface ParsedArithmetic {
  start: number;
  steps: { op: '+' | '-'; operand: number }[];
  answer: number;
}

/** Reads the task's prompt back into numbers, or null when the text is not one of its problems. */
export function parseArithmeticPrompt(prompt: string): ParsedArithmetic | null {
  const m = /^(\d+)에서 시작합니다\. (.+)\. 결과는 얼마입니까\?$/.exec(prompt.trim());
  if (!m) return null;
  const steps: ParsedArithmetic['steps'] = [];
  for (const phrase of m[2].split(' ').reduce<string[]>((acc, word, i, words) => (i % 2 === 0 ? [...acc, `${word} ${words[i + 1] ?? ''}`] : acc), [])) {
    const s = /^(\d+)[을를] (더하고|더합니다|빼고|뺍니다)$/.exec(phrase);
    if (!s) return null;
    steps.push({ op: s[2].startsWith('더') ? '+' : '-', operand: Number(s[1]) });
  }
  if (steps.length === 0) return null;
  let value = Number(m[1]);
  for (const { op, operand } of steps) value = op === '+' ? value + operand : value - operand;
  return { start: Number(m[1]), steps, answer: value };
}

/** 을/를 after a number read aloud (the task's own rule: batchim for 1, 3, 6, 7, 8, 0 and 10). */
function objectParticle(n: number): string {
  const last = n % 10 === 0 && n !== 0 ? 10 : n % 10;
  return [0, 1, 3, 6, 7, 8, 10].includes(last) ? '을' : '를';
}

const koLine = (v: number, op: '+' | '-', x: number, r: number) => (op === '+' ? `${v}에 ${x}${objectParticle(x)} 더하면 ${r}입니다.` : `${v}에서 ${x}${objectParticle(x)} 빼면 ${r}입니다.`);
const enLine = (v: number, op: '+' | '-', x: number, r: number) => (op === '+' ? `${v} plus ${x} is ${r}.` : `${v} minus ${x} is ${r}.`);

export interface ArithmeticTrace {
  kind: SelfCorrectionKind;
  thinking: string;
  response: string;
  /** Index of the step where the switch or the mistake happened. */
  at: number;
}

/** One self-correction trace of `kind` for a parsed problem; `rng` picks where the switch or mistake goes. */
export function arithmeticSelfCorrection(p: ParsedArithmetic, kind: SelfCorrectionKind, rng: Rng): ArithmeticTrace {
  const values = [p.start];
  for (const { op, operand } of p.steps) values.push(op === '+' ? values.at(-1)! + operand : values.at(-1)! - operand);
  const n = p.steps.length;
  const ko = (i: number) => koLine(values[i], p.steps[i].op, p.steps[i].operand, values[i + 1]);
  const en = (i: number) => enLine(values[i], p.steps[i].op, p.steps[i].operand, values[i + 1]);
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
  let lines: string[];
  let at: number;
  if (kind === 'english-start') {
    at = 1 + rng.int(n); // English for steps 0..at−1, then every step again in Korean
    lines = [...range(0, at).map(en), SWITCH_BACK, ...range(0, n).map(ko)];
  } else if (kind === 'drift') {
    at = rng.int(n); // Korean before step `at`, that step in English, then Korean from it on
    lines = [...range(0, at).map(ko), en(at), SWITCH_BACK, ...range(at, n).map(ko)];
  } else {
    at = rng.int(n);
    const right = values[at + 1];
    // A wrong result one or two off, staying a plausible (non-negative) number.
    const deltas = [-2, -1, 1, 2].filter((d) => right + d >= 0);
    const wrong = right + deltas[rng.int(deltas.length)];
    lines = [...range(0, at).map(en), enLine(values[at], p.steps[at].op, p.steps[at].operand, wrong), MISTAKE_FOUND, ...range(at, n).map(ko)];
  }
  const thinking = lines.join('\n');
  return { kind, thinking, at, response: `<think>\n${thinking}\n</think>\n\n답은 \\boxed{${p.answer}}입니다.` };
}
