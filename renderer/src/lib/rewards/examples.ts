// Built-in examples for the Reward playground: each shows one behaviour of the rewards that matters for
// training a model that reasons in Korean.
import type { MessageKey } from '../i18n/en.ts';

export type RewardExample = {
  id: 'good' | 'hacking' | 'english' | 'amc';
  label: MessageKey;
  prompt: string;
  response: string;
  gold: string;
  /** AMC choices, A–E. */
  options: string[];
};

const QUADRATIC = '이차방정식 $x^2 - 5x + 6 = 0$의 모든 해의 합을 구하시오.';

/** Pages of formulas with a few Korean words: stripping math alone would give it a perfect ratio. */
function formulaDump(): string {
  const lines: string[] = [];
  for (let k = 1; k <= 24; k++) {
    lines.push(`$$x_{${k}} = \\frac{5 \\pm \\sqrt{25 - 4 \\cdot 6}}{2} + \\left(\\frac{${k}}{${k + 1}}\\right)^{2} - \\frac{${k * k}}{${k + 1}^{2}}$$`);
  }
  return lines.join('\n');
}

export const rewardExamples: readonly RewardExample[] = [
  {
    id: 'good',
    label: 'rewards.example.good',
    prompt: QUADRATIC,
    response: [
      '<think>',
      '주어진 식을 인수분해해 보겠습니다. 곱해서 6이 되고 더해서 5가 되는 두 수는 2와 3이므로',
      '$$x^2 - 5x + 6 = (x - 2)(x - 3)$$',
      '입니다. 따라서 해는 $x = 2$ 또는 $x = 3$ 이고, 두 해의 합은 $2 + 3 = 5$ 입니다.',
      '근과 계수의 관계로도 확인할 수 있습니다. 두 근의 합은 $-\\frac{b}{a} = -\\frac{-5}{1} = 5$ 이므로 앞의 계산과 일치합니다.',
      '</think>',
      '인수분해하면 $(x-2)(x-3)=0$ 이므로 해는 2와 3이고, 모든 해의 합은 $\\boxed{5}$ 입니다.',
    ].join('\n'),
    gold: '5',
    options: [],
  },
  {
    id: 'hacking',
    label: 'rewards.example.hacking',
    prompt: QUADRATIC,
    response: ['<think>', '풀이:', formulaDump(), '그러므로 답.', '</think>', '정답: $\\boxed{5}$'].join('\n'),
    gold: '5',
    options: [],
  },
  {
    id: 'english',
    label: 'rewards.example.english',
    prompt: QUADRATIC,
    response: [
      '<think>',
      'Let me factor the quadratic. Two numbers that multiply to 6 and add up to 5 are 2 and 3, so',
      '$$x^2 - 5x + 6 = (x - 2)(x - 3).$$',
      'The roots are $x = 2$ and $x = 3$, and their sum is $5$. By Vieta, the sum of the roots is $-b/a = 5$ as well.',
      '</think>',
      '두 해는 2와 3이므로 합은 $\\boxed{5}$ 입니다.',
    ].join('\n'),
    gold: '5',
    options: [],
  },
  {
    id: 'amc',
    label: 'rewards.example.amc',
    prompt: '한 변의 길이가 6인 정사각형의 넓이는 얼마인가? (A) 12 (B) 24 (C) 36 (D) 48 (E) 72',
    response: [
      '<think>',
      '정사각형의 넓이는 한 변의 길이를 제곱한 값입니다. 한 변이 6이므로 넓이는 $6^2 = 36$ 이고, 보기 중에서 36은 (C)입니다.',
      '</think>',
      '넓이는 36이므로 정답: (C)',
    ].join('\n'),
    gold: '36',
    options: ['12', '24', '36', '48', '72'],
  },
];
