import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLanguage, languageConsistency } from '../../../main/rewards/language/consistency.ts';
import { scanProse } from '../../../main/rewards/language/scan.ts';
import { languageReward } from '../../../main/rewards/language-reward.ts';

const MATH_HEAVY_KO = `문제에서 주어진 조건을 정리하면 다음과 같다.
$$\\begin{aligned} a + b &= 10 \\\\ ab &= 21 \\end{aligned}$$
근과 계수의 관계를 이용하면 $a$와 $b$는 이차방정식 $t^2 - 10t + 21 = 0$의 두 근이다.
이 식을 인수분해하면 $(t-3)(t-7) = 0$이므로 $t = 3$ 또는 $t = 7$이다.
따라서 $a^2 + b^2 = (a+b)^2 - 2ab = 100 - 42 = 58$이다.
검산해 보면 $3^2 + 7^2 = 9 + 49 = 58$로 일치한다. 그러므로 구하는 값은 $58$이다.`;

const CODE_HEAVY_KO = `반복문으로 직접 세어 보자.
\`\`\`python
count = 0
for n in range(1, 1001):
    if n % 3 == 0 or n % 5 == 0:
        count += 1
print(count)
\`\`\`
위 코드는 1부터 1000까지의 수 중에서 3 또는 5의 배수를 센다. \`count\` 변수에 개수를 누적하고 마지막에 출력한다.
포함배제의 원리로 확인하면 333 + 200 - 66 = 467이므로 결과가 일치한다.`;

const ENGLISH = 'First, note that a + b = 10 and ab = 21, so a and b are roots of the quadratic. Factoring gives the roots three and seven, and the sum of squares is fifty-eight.';

describe('language consistency: Korean reasoning scores high', () => {
  it('plain Korean prose', () => {
    assert.equal(languageConsistency('먼저 문제를 천천히 읽고 조건을 정리한 다음 차근차근 계산해 보자.', { target: 'ko' }).score, 1);
  });
  it('math-heavy Korean reasoning is not penalized for its equations', () => {
    const r = languageConsistency(MATH_HEAVY_KO, { target: 'ko' });
    assert.ok(r.score >= 0.95, JSON.stringify(r));
  });
  it('code-heavy Korean reasoning is not penalized for its code', () => {
    const r = languageConsistency(CODE_HEAVY_KO, { target: 'ko' });
    assert.ok(r.score >= 0.95, JSON.stringify(r));
  });
  it('bare variables and point names are symbols, not English', () => {
    const r = languageConsistency('삼각형 ABC에서 변 AB의 길이를 x라 하고 각 B의 크기를 구하면 된다. 그러면 답이 나온다.', { target: 'ko' });
    assert.equal(r.score, 1);
    assert.equal(r.letters.Latin, undefined);
  });
});

describe('language consistency: off-target and mixed text', () => {
  it('English reasoning scores ~0 for a Korean target and high for an English one', () => {
    assert.equal(languageConsistency(ENGLISH, { target: 'ko' }).score, 0);
    assert.ok(languageConsistency(ENGLISH, { target: 'en' }).score >= 0.95);
  });
  it('mixed Korean/English scores in between, ordered by the share of English', () => {
    const light = languageConsistency('이 문제는 dynamic programming으로 풀 수 있다. 작은 문제의 답을 저장하고 큰 문제에 재사용한다.', { target: 'ko' }).score;
    const heavy = languageConsistency('이 문제는 dynamic programming approach로 풀 수 있다. We store answers of subproblems and reuse them later.', { target: 'ko' }).score;
    assert.ok(light > 0.7 && light < 1, `light ${light}`);
    assert.ok(heavy > 0 && heavy < 0.3 && heavy < light, `heavy ${heavy}`);
  });
  it('the ratio matches a hand count of weighted letters', () => {
    // Hangul 가나다라마 (5 × 1) against Latin "hello world" (10 × 0.5) → 5 / 10.
    const r = languageConsistency('가나다라마 hello world', { target: 'ko', minTargetMass: 1 });
    assert.equal(r.letters.Hangul, 5);
    assert.equal(r.letters.Latin, 10);
    assert.equal(r.ratio, 0.5);
  });
});

describe('language consistency: reward hacking does not earn full reward', () => {
  it('empty and whitespace-only thinking score 0', () => {
    assert.equal(languageConsistency('', { target: 'ko' }).score, 0);
    assert.equal(languageConsistency('   \n ', { target: 'ko' }).score, 0);
  });
  it('near-empty thinking scores low', () => {
    const r = languageConsistency('음. 끝.', { target: 'ko' });
    assert.ok(r.score <= 0.2, JSON.stringify(r));
  });
  it('a few Korean words around pages of LaTeX score low', () => {
    const text = '계산하자. ' + '$$\\int_0^1 x^2\\,dx = \\frac{1}{3},\\quad \\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$\n'.repeat(60) + '따라서 끝.';
    const r = languageConsistency(text, { target: 'ko' });
    assert.ok(r.score < 0.1, JSON.stringify({ ...r, spans: null }));
    assert.ok(r.reasons.some((x) => x.includes('formulas')));
  });
  it('a few Korean words around bare formulas (no LaTeX) score low', () => {
    const text = '풀이: ' + 'x^2 + 2x + 1 = 0, (x + 1)^2 = 0, x = -1; y = 3x - 2 = -5. '.repeat(50) + '끝.';
    assert.ok(languageConsistency(text, { target: 'ko' }).score < 0.1);
  });
  it('a few Korean words around a huge code block score low', () => {
    const text = '코드:\n```js\n' + 'const value = compute(index) * factor + offset;\n'.repeat(80) + '```\n끝.';
    assert.ok(languageConsistency(text, { target: 'ko' }).score < 0.1);
  });
  it('hiding English inside math or code does not raise the Korean share but is not rewarded either', () => {
    const honest = languageConsistency('첫째로 조건을 정리한다. 둘째로 식을 세운다. 셋째로 답을 확인한다.', { target: 'ko' }).score;
    const hidden = languageConsistency('첫째로 조건을 정리한다. $\\text{then we solve the whole problem in English here}$', { target: 'ko' }).score;
    assert.equal(honest, 1);
    assert.ok(hidden < honest);
  });
});

describe('other scripts and target detection', () => {
  it('scores Japanese, Chinese and Russian against their own targets', () => {
    assert.ok(languageConsistency('まず二次方程式を因数分解します。したがって答えはマイナス一になります。', { target: 'ja' }).score > 0.95);
    assert.ok(languageConsistency('首先我们将二次方程因式分解，因此答案是负一，然后再检查一遍结果。', { target: 'zh' }).score > 0.95);
    assert.ok(languageConsistency('Сначала разложим квадратное уравнение на множители и проверим ответ.', { target: 'ru' }).score > 0.95);
    assert.equal(languageConsistency('Сначала разложим квадратное уравнение на множители.', { target: 'ko' }).score, 0);
  });
  it('detects the prompt language after stripping math', () => {
    assert.equal(detectLanguage('다음 식의 값을 구하시오: $\\frac{x^2 + y^2}{xy}$ where x, y > 0'), 'ko');
    assert.equal(detectLanguage('Find the value of $\\frac{1}{2}$.'), 'en');
    assert.equal(detectLanguage('次の方程式を解きなさい。'), 'ja');
    assert.equal(detectLanguage('求下列方程的解。'), 'zh');
    assert.equal(detectLanguage('$$x^2$$ 123'), null);
    const r = languageConsistency('먼저 식을 정리하면 된다. 그다음 값을 대입하여 계산한다.', { prompt: 'Solve for x.' });
    assert.equal(r.target, 'en');
    assert.equal(r.targetSource, 'prompt');
    assert.equal(r.score, 0);
  });
  it('rejects unknown targets and bad thresholds with a clear error', () => {
    assert.throws(() => languageConsistency('x', { target: 'klingon' }), /unknown target language "klingon"/);
    assert.throws(() => languageConsistency('x', { minProseShare: 2 }), /minProseShare/);
  });
});

describe('stripped spans', () => {
  it('returns offsets that slice out the removed code, math, URLs, markdown and numbers', () => {
    const text = '## 풀이\n식 $x+1$과 \\(y\\)를 보고 `code()` 및 https://example.com/a?b=1 을 참고한다. **굵게** 123개\n\\begin{align} a &= b \\end{align}';
    const { spans } = scanProse(text, true);
    assert.ok(spans);
    const byKind = (k: string) => spans.filter((s) => s.kind === k).map((s) => text.slice(s.start, s.end));
    assert.deepEqual(byKind('math'), ['$x+1$', '\\(y\\)', '\\begin{align} a &= b \\end{align}']);
    assert.deepEqual(byKind('code'), ['`code()`']);
    assert.deepEqual(byKind('url'), ['https://example.com/a?b=1']);
    assert.deepEqual(byKind('number'), ['123']);
    assert.deepEqual(byKind('markdown'), ['##', '**', '**']);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i].start >= spans[i - 1].end, 'spans are ordered and disjoint');
  });
  it('treats an unclosed fence as code to the end and an unpaired $ as text', () => {
    const text = '설명\n```\ncode without end';
    const { spans } = scanProse(text, true);
    assert.deepEqual(spans, [{ start: 3, end: text.length, kind: 'code' }]);
    const dollar = scanProse('가격은 $5 이다', true);
    assert.deepEqual(dollar.spans, [{ start: 5, end: 6, kind: 'number' }]);
  });
  it('stays linear on adversarial delimiters', () => {
    // Each of these would be quadratic with naive "search for the closing delimiter" loops.
    for (const text of ['``' + '`a'.repeat(50000), '](' + ']('.repeat(50000), '\\begin{x}'.repeat(20000), '$$'.repeat(1) + '$a'.repeat(50000)]) {
      const r = scanProse(text, true);
      assert.ok(r.spans !== null);
    }
  });
});

describe('languageReward', () => {
  it('scores the thinking only, per sample target or prompt', () => {
    const completions = ['<think>먼저 조건을 정리하고 차근차근 계산해 보면 답이 나온다.</think>The answer is 3.', '<think>Let me think about it step by step carefully, checking each case twice.</think>답은 3'];
    assert.deepEqual(languageReward(completions, { target: 'ko' }), [1, 0]);
    const byPrompt = languageReward(completions, { prompts: ['문제를 풀어라', 'Solve it'] });
    assert.equal(byPrompt[0], 1);
    assert.ok(byPrompt[1] > 0.9);
    assert.throws(() => languageReward(completions, { prompts: ['only one'] }), /prompts has 1 entries/);
  });
});
