import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractAnswer } from '../../../main/rewards/math/extract.ts';
import { normalizeAnswer } from '../../../main/rewards/math/normalize.ts';
import * as Q from '../../../main/rewards/math/rational.ts';
import { verifyMath } from '../../../main/rewards/math/verify.ts';
import { MATH_CASES } from './math-cases.ts';

describe('math verification table', () => {
  it('has at least 200 hand-written cases with both verdicts', () => {
    assert.ok(MATH_CASES.length >= 200, `only ${MATH_CASES.length} cases`);
    assert.ok(MATH_CASES.filter((c) => c[2]).length >= 80);
    assert.ok(MATH_CASES.filter((c) => !c[2]).length >= 60);
  });

  for (const [i, [pred, gold, expected, options]] of MATH_CASES.entries()) {
    const label = `#${i} ${JSON.stringify(pred.length > 60 ? pred.slice(0, 57) + '...' : pred)} vs ${JSON.stringify(gold.slice(0, 30))} → ${expected}`;
    it(label, () => {
      const v = verifyMath(pred, gold, options);
      assert.equal(v.correct, expected, `verdict ${JSON.stringify(v)}`);
      assert.equal(typeof v.reason, 'string');
      if (expected) assert.match(v.reason, /^equal_/);
    });
  }
});

describe('verdict shape and reasons', () => {
  it('returns exactly {correct, extracted, pred, gold, reason} with normalized forms', () => {
    const v = verifyMath('따라서 정답은 $\\dfrac{1}{2}$입니다.', '0.5');
    assert.deepEqual(Object.keys(v).sort(), ['correct', 'extracted', 'gold', 'pred', 'reason']);
    assert.equal(v.correct, true);
    assert.equal(v.pred, '\\frac{1}{2}');
    assert.equal(v.gold, '0.5');
    assert.equal(v.reason, 'equal_rational');
  });
  it('says no_answer when nothing can be extracted', () => {
    const v = verifyMath('Let me think about this problem for a while.\nIt is hard.', '3');
    assert.deepEqual(v, { correct: false, extracted: null, pred: null, gold: '3', reason: 'no_answer' });
  });
  it('flags an empty gold, oversized inputs and a bare letter without options', () => {
    assert.equal(verifyMath('\\boxed{1}', '  ').reason, 'empty_gold');
    assert.equal(verifyMath('x'.repeat(1_000_001), '1').reason, 'input_too_long');
    assert.equal(verifyMath('\\boxed{C}', '12').reason, 'choice_without_options');
    assert.equal(verifyMath('\\boxed{' + '1'.repeat(1200) + '}', '1').reason, 'answer_too_long');
  });
  it('fallback: auto (default) reads the last number of free text; short and none do not', () => {
    const text = 'We compute 3 + 4 and get\n7';
    assert.equal(verifyMath(text, '7').correct, true);
    assert.equal(verifyMath(text, '8').correct, false);
    assert.equal(verifyMath(text, '7', { fallback: 'short' }).reason, 'no_answer');
    assert.equal(verifyMath(text, '7', { fallback: 'last_number' }).correct, true);
    assert.equal(verifyMath('42', '42', { fallback: 'none' }).reason, 'no_answer');
  });
});

describe('extraction', () => {
  it('takes the last closed \\boxed with nested braces', () => {
    const e = extractAnswer('a \\boxed{1} b \\boxed{\\frac{\\sqrt{2}}{2}} c');
    assert.equal(e.answer, '\\frac{\\sqrt{2}}{2}');
    assert.equal(e.method, 'boxed');
  });
  it('skips an unclosed last \\boxed and stays linear on thousands of them', () => {
    const text = '\\boxed{7} ' + '\\boxed{'.repeat(20000);
    assert.equal(extractAnswer(text).answer, '7');
  });
  it('finds Korean and English phrases, the last one winning', () => {
    assert.equal(extractAnswer('정답은 3이고, 최종 답: 5').answer, '5');
    assert.equal(extractAnswer('The answer is 2.5. Done').answer, '2.5');
    assert.equal(extractAnswer('해답은 여기에 없다').method, 'whole');
  });
});

describe('normalization', () => {
  it('folds the documented spellings', () => {
    const pairs: [string, string][] = [
      ['1,234', '1234'],
      ['\\dfrac{1}{2}', '\\frac{1}{2}'],
      ['\\left( 1, 2 \\right)', '( 1, 2 )'],
      ['90^\\circ', '90'],
      ['15\\%', '15\\%'], // the percent is kept as one trailing mark (PERCENT policy in verify.ts)
      ['28 pct', '28\\%'],
      ['28퍼센트', '28\\%'],
      ['\\text{5 cm}', '5'],
      ['$x$', 'x'],
      ['5입니다', '5'],
      ['3개', '3'],
    ];
    for (const [raw, expected] of pairs) assert.equal(normalizeAnswer(raw), expected, raw);
  });
});

describe('BigInt rationals agree with float arithmetic', () => {
  it('add/sub/mul/div on random small fractions match float64 within rounding', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    for (let k = 0; k < 500; k++) {
      const a = Q.rational(BigInt((rnd() % 2001) - 1000), BigInt((rnd() % 999) + 1))!;
      const b = Q.rational(BigInt((rnd() % 2001) - 1000), BigInt((rnd() % 999) + 1))!;
      const fa = Q.toNumber(a);
      const fb = Q.toNumber(b);
      const check = (r: Q.Rational | null, f: number) => {
        assert.ok(r);
        assert.ok(Math.abs(Q.toNumber(r) - f) <= 1e-9 * Math.max(1, Math.abs(f)));
      };
      check(Q.add(a, b), fa + fb);
      check(Q.sub(a, b), fa - fb);
      check(Q.mul(a, b), fa * fb);
      if (b.num !== 0n) check(Q.div(a, b), fa / fb);
    }
  });
  it('refuses results over the size bound instead of computing them', () => {
    assert.equal(Q.powInt({ num: 10n, den: 1n }, 99999999n), null);
    assert.equal(Q.rootExact({ num: 27n, den: 8n }, 3)?.num, 3n);
    assert.equal(Q.rootExact({ num: 2n, den: 1n }, 2), null);
  });
});
