// Rewards benchmark: math verdicts/s and language-consistency scores/s on one core over generated Korean
// responses with math (~2 KB each), plus the slowest single input of an adversarial set.
//
//   npm run bench:rewards [-- --responses N]
//
// Goals: ≥ 20k verdicts/s, ≥ 50k language scores/s, no adversarial input over 50 ms.
// Everything runs on the main thread (one core). Writes bench/results/rewards.json.
import os from 'node:os';
import { verifyResponse } from '../main/rewards/accuracy-reward.ts';
import { thinkingLanguage } from '../main/rewards/language-reward.ts';
import { printTable, writeResult } from './lib/results.ts';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

let seed = 20240601;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

const PROSE = [
  '먼저 문제의 조건을 정리해 보자.', '주어진 식을 변형하면 다음과 같다.', '이제 양변을 정리하면', '따라서 다음이 성립한다.',
  '여기서 경우를 나누어 생각해야 한다.', '검산을 위해 값을 대입해 보면 일치한다.', '근과 계수의 관계를 이용하자.',
  '이 값이 최소가 되는 조건을 찾는다.', '그러므로 구하는 값은 아래와 같다.', '잠깐, 부호를 다시 확인해 보자.',
  '삼각형 ABC에서 변 AB의 길이를 x라 하자.', '점화식을 세우면 규칙이 보인다.', '모든 경우의 수를 세어 보면', '이 부분은 틀렸으니 다시 계산한다.',
];
const MATH = [
  () => `$x^2 - ${int(2, 20)}x + ${int(1, 50)} = 0$`,
  () => `$\\frac{${int(1, 99)}}{${int(2, 99)}} + \\frac{${int(1, 9)}}{${int(2, 9)}}$`,
  () => `$$\\sum_{k=1}^{${int(5, 100)}} k^2 = \\frac{n(n+1)(2n+1)}{6}$$`,
  () => `$\\sqrt{${int(2, 200)}} \\approx ${(random() * 20).toFixed(3)}$`,
  () => `\\[ a_{n+1} = ${int(2, 5)}a_n + ${int(1, 9)} \\]`,
  () => `$(x-${int(1, 9)})(x+${int(1, 9)})$`,
  () => `${int(10, 999)} × ${int(2, 99)} = ${int(100, 99999)}`,
];
const ANSWERS: [string, string][] = [
  ['42', '42'], ['\\frac{3}{4}', '0.75'], ['2\\sqrt{3}', '\\sqrt{12}'], ['(1, 2)', '(1,2)'], ['x^2+2x+1', '(x+1)^2'],
  ['1,000', '1000'], ['\\dfrac{\\pi}{2}', '\\frac{\\pi}{2}'], ['12개', '12'], ['[1, 3)', '[1,3)'], ['\\{1, 2\\}', '\\{2,1\\}'],
];

function generateResponse(targetChars: number): { response: string; gold: string } {
  const parts: string[] = [];
  let length = 0;
  while (length < targetChars) {
    const piece = random() < 0.62 ? pick(PROSE) : pick(MATH)();
    parts.push(piece);
    length += piece.length + 1;
    if (random() < 0.02) {
      const code = '\n```python\nprint(sum(k*k for k in range(1, 11)))\n```\n';
      parts.push(code);
      length += code.length;
    }
  }
  const [answer, gold] = pick(ANSWERS);
  const wrong = random() < 0.3;
  const summary = wrong ? `따라서 답은 $\\boxed{${int(1, 999)}}$입니다.` : `따라서 최종 답은 $\\boxed{${answer}}$입니다.`;
  return { response: `<think>\n${parts.join(' ')}\n</think>\n\n${summary}`, gold };
}

/** Hostile inputs of up to ~100 KB (about a 32k-token response): unclosed delimiters, deep nesting, huge numbers. */
function adversarialSet(): { name: string; response: string; gold: string }[] {
  const K = 100_000;
  return [
    { name: 'unclosed \\boxed{ ×14k', response: '\\boxed{'.repeat(14_000), gold: '1' },
    { name: 'open braces 100k', response: '\\boxed' + '{'.repeat(K), gold: '1' },
    { name: 'closed nested braces 50k', response: '\\boxed' + '{'.repeat(50_000) + '1' + '}'.repeat(50_000), gold: '1' },
    { name: 'parens depth 490 in answer', response: `\\boxed{${'('.repeat(490)}1${')'.repeat(490)}}`, gold: '1' },
    { name: 'power tower', response: `\\boxed{${'2^{'.repeat(200)}2${'}'.repeat(200)}}`, gold: '4' },
    { name: 'huge exponent', response: '\\boxed{(1+10^{-100})^{10^{100}}}', gold: 'e' },
    { name: 'huge factorial', response: `\\boxed{${'9'.repeat(300)}!}`, gold: '1' },
    { name: '10^{99999999}', response: '\\boxed{10^{99999999}}', gold: '10^{99999998}' },
    { name: 'nested sqrt depth 300', response: `\\boxed{${'\\sqrt{'.repeat(300)}2${'}'.repeat(300)}}`, gold: '2' },
    { name: '64-item sets of expressions', response: `\\boxed{\\{${Array.from({ length: 64 }, (_, i) => `x^{${i}}+${i}y`).join(',')}\\}}`, gold: `\\{${Array.from({ length: 64 }, (_, i) => `x^{${63 - i}}+${63 - i}y`).join(',')}\\}` },
    { name: 'nested tuples depth 200', response: `\\boxed{${'('.repeat(200)}1${',1)'.repeat(200)}}`, gold: '1' },
    { name: 'many \\pm and \\cup', response: `\\boxed{${'(1,2)\\cup'.repeat(60)}(3,4)}`, gold: '(3,4)' },
    { name: '$ ×100k', response: '<think>' + '$'.repeat(K) + '</think>$', gold: '1' },
    { name: '$a ×50k (unpaired)', response: '<think>' + '$a'.repeat(50_000) + '$$</think>', gold: '1' },
    { name: 'backticks', response: '<think>``' + '`a'.repeat(50_000) + '</think>', gold: '1' },
    { name: 'link targets ](', response: '<think>' + ']('.repeat(50_000) + '</think>', gold: '1' },
    { name: '\\begin{x} ×10k', response: '<think>' + '\\begin{x}'.repeat(10_000) + '</think>', gold: '1' },
    { name: '\\frac{ ×20k', response: '<think>' + '\\frac{'.repeat(20_000) + '</think>', gold: '1' },
    { name: 'html-like < ×30k', response: '<think>' + '<a '.repeat(30_000) + '</think>', gold: '1' },
    { name: '답은 ×20k', response: '답은 '.repeat(20_000), gold: '1' },
    { name: 'answer phrase + 100k x', response: 'The answer is ' + 'x'.repeat(K), gold: '1' },
    { name: '100k digits with commas', response: '\\boxed{' + '1,000'.repeat(20_000) + '}', gold: '1000' },
    { name: '100k spaces', response: ' '.repeat(K), gold: '1' },
    { name: '</think> ×12k', response: '</think>'.repeat(12_000), gold: '1' },
    { name: '<think> ×12k', response: '<think>'.repeat(12_000), gold: '1' },
    { name: 'long Korean thinking 100k', response: '<think>' + '가나다라 마바사 '.repeat(10_000) + '</think>\\boxed{1}', gold: '1' },
    { name: 'long answer 999 chars', response: `\\boxed{${'x+'.repeat(499)}x}`, gold: '999x' },
    // Free-text extraction paths (no \boxed): math spans, environments, phrases, numbers, relations.
    { name: '\\( ×33k (unclosed)', response: '\\( '.repeat(33_000), gold: '1' },
    { name: '\\begin{align*} ×4.5k (unclosed)', response: '\\begin{align*} x &= 1 '.repeat(4_500), gold: '1' },
    { name: '$…$ spans ×25k', response: '$x$ '.repeat(25_000), gold: 'x' },
    { name: 'A1 ×50k (numbers in words)', response: 'A1'.repeat(50_000), gold: '1' },
    { name: '1, ×50k (one long number)', response: '1,'.repeat(50_000), gold: '1' },
    { name: '따라서 ×25k', response: '따라서 '.repeat(25_000), gold: '1' },
    { name: 'chained relation ×150', response: `$${'-x > '.repeat(150)}1$`, gold: 'x < 1' },
    { name: '10×10 matrix of powers', response: `$\\begin{pmatrix}${Array.from({ length: 10 }, () => Array.from({ length: 10 }, (_, j) => `x^{${j}}`).join('&')).join('\\\\')}\\end{pmatrix}$`, gold: `\\begin{bmatrix}${Array.from({ length: 10 }, () => Array.from({ length: 10 }, (_, j) => `x^{${j}}`).join('&')).join('\\\\')}\\end{bmatrix}` },
    { name: '10^{-99999999} vs 0', response: '\\boxed{10^{-99999999}}', gold: '0' },
    { name: 'many variables', response: `\\boxed{${Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i)).join('+')}}`, gold: 'z+y+x+w+v+u+t+s+r+q+p+o+n+m+l+k+j+i+h+g+f+e+d+c+b+a' },
  ];
}

/** Wall-clock and CPU milliseconds of one call (CPU time is what this process used, whatever the load). */
function timeOne(fn: () => void): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  const u = process.cpuUsage(cpu);
  return { wall, cpu: (u.user + u.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main() {
  const n = argValue('--responses', 100_000);
  const t0 = performance.now();
  const samples = Array.from({ length: n }, () => generateResponse(int(900, 1300)));
  const genSeconds = (performance.now() - t0) / 1000;
  const bytes = samples.reduce((s, x) => s + Buffer.byteLength(x.response), 0);

  // Warm up the JIT on a slice, then time the full set.
  for (let i = 0; i < 2000; i++) {
    verifyResponse(samples[i].response, samples[i].gold);
    thinkingLanguage(samples[i].response, undefined, 'ko');
  }
  // Wall-clock and CPU time of this (single-threaded) process: on a shared machine the CPU-time rate is
  // the per-core throughput, the wall-clock rate what this run actually got.
  const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
  let correct = 0;
  let t = performance.now();
  let cpu = process.cpuUsage();
  for (const s of samples) if (verifyResponse(s.response, s.gold).correct) correct++;
  const mathCpuSeconds = cpuSeconds(process.cpuUsage(cpu));
  const mathSeconds = (performance.now() - t) / 1000;

  let scoreSum = 0;
  t = performance.now();
  cpu = process.cpuUsage();
  for (const s of samples) scoreSum += thinkingLanguage(s.response, undefined, 'ko').score;
  const langCpuSeconds = cpuSeconds(process.cpuUsage(cpu));
  const langSeconds = (performance.now() - t) / 1000;

  // Adversarial: each input once cold (the first call on a new shape of input runs partly in the
  // interpreter while V8 re-optimizes), then 5 warm timed runs for math and for language (with spans, as
  // the UI asks). CPU time is reported beside wall time because this machine is shared: wall time here
  // includes waiting for a core.
  const adversarial = adversarialSet().map(({ name, response, gold }) => {
    const coldMath = timeOne(() => verifyResponse(response, gold));
    const coldLang = timeOne(() => thinkingLanguage(response, undefined, 'ko', { spans: true }));
    const math: { wall: number; cpu: number }[] = [];
    const lang: { wall: number; cpu: number }[] = [];
    for (let k = 0; k < 5; k++) {
      math.push(timeOne(() => verifyResponse(response, gold)));
      lang.push(timeOne(() => thinkingLanguage(response, undefined, 'ko', { spans: true })));
    }
    return {
      name,
      chars: response.length,
      mathCpuMs: median(math.map((m) => m.cpu)),
      mathWallMs: median(math.map((m) => m.wall)),
      langCpuMs: median(lang.map((m) => m.cpu)),
      langWallMs: median(lang.map((m) => m.wall)),
      coldCpuMs: Math.max(coldMath.cpu, coldLang.cpu),
      coldWallMs: Math.max(coldMath.wall, coldLang.wall),
    };
  });
  const worst = (a: (typeof adversarial)[number]) => Math.max(a.mathCpuMs, a.langCpuMs);
  const slowest = adversarial.reduce((a, b) => (worst(b) > worst(a) ? b : a));
  const slowestMs = worst(slowest);
  const slowestWallMs = Math.max(...adversarial.map((a) => Math.max(a.mathWallMs, a.langWallMs)));
  const worstCold = adversarial.reduce((a, b) => (b.coldCpuMs > a.coldCpuMs ? b : a));

  const verdictsPerSecond = Math.round(n / mathSeconds);
  const langPerSecond = Math.round(n / langSeconds);
  const verdictsPerCpuSecond = Math.round(n / mathCpuSeconds);
  const langPerCpuSecond = Math.round(n / langCpuSeconds);
  printTable([
    ['measure', 'value', 'goal'],
    ['responses', n, ''],
    ['avg bytes (UTF-8) / chars', `${Math.round(bytes / n)} / ${Math.round(samples.reduce((s, x) => s + x.response.length, 0) / n)}`, '~2 KB'],
    ['math verdicts/s (wall clock)', verdictsPerSecond, '≥ 20,000'],
    ['math verdicts per CPU-second', verdictsPerCpuSecond, '≥ 20,000'],
    ['language scores/s (wall clock)', langPerSecond, '≥ 50,000'],
    ['language scores per CPU-second', langPerCpuSecond, '≥ 50,000'],
    ['share verified correct', correct / n, '~0.7 by construction'],
    ['mean language score', scoreSum / n, ''],
    ['slowest adversarial, warm median CPU ms', `${slowestMs.toFixed(2)} (${slowest.name})`, '< 50 ms'],
    ['slowest adversarial, warm median wall ms', slowestWallMs, '< 50 ms'],
    ['slowest adversarial, first (cold) call CPU ms', `${worstCold.coldCpuMs.toFixed(2)} (${worstCold.name})`, ''],
    ['machine load (1 min)', os.loadavg()[0].toFixed(2), `on ${os.cpus().length} cores`],
  ]);
  console.log('');
  printTable([
    ['adversarial input', 'chars', 'math cpu ms', 'math wall ms', 'lang cpu ms', 'lang wall ms', 'cold cpu ms'],
    ...adversarial.map((a) => [a.name, a.chars, a.mathCpuMs, a.mathWallMs, a.langCpuMs, a.langWallMs, a.coldCpuMs]),
  ]);

  const path = writeResult('rewards', {
    command: 'npm run bench:rewards',
    input: { responses: n, bytesPerResponse: Math.round(bytes / n), generateSeconds: genSeconds },
    result: {
      mathVerdictsPerSecond: verdictsPerSecond,
      mathVerdictsPerCpuSecond: verdictsPerCpuSecond,
      languageScoresPerSecond: langPerSecond,
      languageScoresPerCpuSecond: langPerCpuSecond,
      mathCpuSeconds,
      languageCpuSeconds: langCpuSeconds,
      mathSeconds,
      languageSeconds: langSeconds,
      shareCorrect: correct / n,
      meanLanguageScore: scoreSum / n,
      slowestAdversarial: { name: slowest.name, warmMedianCpuMs: slowestMs },
      slowestAdversarialWarmMedianWallMs: slowestWallMs,
      slowestColdCall: { name: worstCold.name, cpuMs: worstCold.coldCpuMs, wallMs: worstCold.coldWallMs },
      loadAverage1m: os.loadavg()[0],
    },
    goals: { mathVerdictsPerSecond: 20000, languageScoresPerSecond: 50000, maxInputMs: 50 },
    adversarial,
  });
  console.log(`\nwrote ${path}`);
}

main();
