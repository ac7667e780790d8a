// rewards.evaluate through the router (validation included): valid inputs give the components, the split,
// the answer and response-relative stripped spans; invalid inputs are refused with invalid_input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import { REWARD_LIMITS, type MethodInput, type RewardEvaluation, type Result } from '../../../main/api/contract.ts';

const session = new AppSession();
const evaluate = (input: MethodInput<'rewards.evaluate'> | Record<string, unknown>) =>
  dispatch('rewards.evaluate', input, { transport: 'http', session }, handlers) as Promise<Result<RewardEvaluation>>;

function value(result: Result<RewardEvaluation>): RewardEvaluation {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}
function component(r: RewardEvaluation, name: string) {
  const c = r.components.find((x) => x.name === name);
  assert.ok(c, `component ${name}`);
  return c;
}

const PROMPT = '다음 값을 구하시오: 1부터 10까지의 자연수의 합은?';
const GOOD =
  '<think>\n1부터 10까지 더하면 됩니다. 가우스의 방법으로 처음과 끝을 짝지으면 $1+10=11$ 이 다섯 쌍이므로 ' +
  '$5 \\times 11 = 55$ 입니다. 다시 확인해 보면 합 공식 $\\frac{n(n+1)}{2}$ 에 $n=10$ 을 넣어도 같은 값이 나옵니다.\n</think>\n' +
  '따라서 정답은 $\\boxed{55}$ 입니다.';

test('a good Korean answer: correct, full language score, spans point at the math in the response', async () => {
  const r = value(await evaluate({ prompt: PROMPT, response: GOOD, gold: '55' }));
  assert.deepEqual(r.components.map((c) => c.name), ['accuracy', 'format', 'language']);
  assert.equal(component(r, 'accuracy').score, 1);
  assert.equal(component(r, 'format').score, 1);
  assert.equal(component(r, 'language').score, 1);
  assert.equal(r.answer.correct, true);
  assert.equal(r.answer.extracted, '55');
  assert.equal(r.language.target, 'ko');
  assert.equal(r.language.targetSource, 'prompt');
  assert.equal(r.language.scripts[0]!.script, 'Hangul');
  assert.equal(r.split.status, 'ok');
  assert.deepEqual(r.notRun, ['judge', 'rewardModel']);
  // Normalized total of three perfect scores.
  assert.equal(r.total, 1);

  // Spans are offsets into the response: each math span's text is one of the formulas written there.
  const math = r.spans.filter((s) => s.kind === 'math').map((s) => GOOD.slice(s.start, s.end));
  assert.ok(math.includes('$1+10=11$'), JSON.stringify(math));
  assert.ok(math.includes('$\\frac{n(n+1)}{2}$'), JSON.stringify(math));
  const thinking = r.split.thinking!;
  assert.equal(GOOD.slice(thinking.start, thinking.end).trim().slice(0, 6), '1부터 10');
  for (const s of r.spans) assert.ok(s.start >= thinking.start && s.end <= thinking.end, 'spans lie inside the thinking');
  assert.equal(r.split.summaryStart, GOOD.indexOf('</think>') + '</think>'.length);
});

test('reward hacking (a few Korean words around formulas) scores low on language; English thinking too', async () => {
  const formulas = Array.from({ length: 40 }, (_, i) => `$$x_{${i}} = \\frac{${i}a + b}{c^{${i}}} - \\sqrt{${i}}$$`).join('\n');
  const hacking = `<think>\n풀이:\n${formulas}\n끝.\n</think>\n답: $\\boxed{7}$`;
  const r = value(await evaluate({ prompt: PROMPT, response: hacking, gold: '7' }));
  assert.equal(component(r, 'accuracy').score, 1);
  assert.ok(component(r, 'language').score! < 0.5, `language ${component(r, 'language').score}`);
  assert.ok(r.spans.filter((s) => s.kind === 'math').length >= 40);
  assert.ok(r.total < 1);

  const english = '<think>\nWe add the numbers from one to ten by pairing the first and the last ones.\n</think>\n정답: 55';
  const e = value(await evaluate({ prompt: PROMPT, response: english, gold: '55' }));
  assert.equal(component(e, 'language').score, 0);
  assert.equal(e.language.detected, 'en');
  // An explicit target overrides the prompt's language.
  const asEnglish = value(await evaluate({ prompt: PROMPT, response: english, gold: '55', lang: 'en' }));
  assert.equal(component(asEnglish, 'language').score, 1);
  assert.equal(asEnglish.language.targetSource, 'explicit');
});

test('AMC options, no gold, weights and wrong answers', async () => {
  const options = ['10', '25', '55', '100', '45'];
  const amc = value(await evaluate({ prompt: PROMPT, response: '<think>\n짝을 지어 더하면 쉰다섯이 됩니다. 따라서 보기 중에서 고릅니다.\n</think>\n정답: (C)', gold: 'C', options }));
  assert.equal(amc.answer.correct, true);

  const wrong = value(await evaluate({ prompt: PROMPT, response: GOOD.replace('\\boxed{55}', '\\boxed{56}'), gold: '55' }));
  assert.equal(wrong.answer.correct, false);
  assert.equal(wrong.answer.reason, 'not_equal');
  assert.equal(component(wrong, 'accuracy').score, 0);
  // Normalized: (1·0 + 0.5·1 + 0.5·1) / 2.
  assert.equal(wrong.total, 0.5);
  const unnormalized = value(await evaluate({ prompt: PROMPT, response: GOOD.replace('\\boxed{55}', '\\boxed{56}'), gold: '55', config: { normalize: false, format: 2 } }));
  assert.equal(unnormalized.total, 2 * 1 + 0.5 * 1);

  const noGold = value(await evaluate({ prompt: PROMPT, response: GOOD }));
  assert.equal(component(noGold, 'accuracy').score, null);
  assert.equal(noGold.answer.extracted, '55');
  assert.equal(noGold.answer.correct, null);
});

test('invalid input is refused with invalid_input and a message naming the field', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ response: 'x' }, /prompt/],
    [{ prompt: 'p', response: 'x'.repeat(REWARD_LIMITS.responseChars + 1) }, /response/],
    [{ prompt: 'p', response: 'x', lang: 'Korean!' }, /lang/],
    [{ prompt: 'p', response: 'x', lang: 'xx' }, /unknown target language "xx"/],
    [{ prompt: 'p', response: 'x', config: { accuracy: -1 } }, /config\.accuracy/],
    [{ prompt: 'p', response: 'x', config: { judge: 1 } }, /config/],
    [{ prompt: 'p', response: 'x', options: Array(11).fill('1') }, /options/],
    [{ prompt: 'p', response: 'x', extra: true }, /extra|unrecognized/i],
  ];
  for (const [input, message] of cases) {
    const r = await evaluate(input);
    assert.equal(r.ok, false, JSON.stringify(input).slice(0, 80));
    if (!r.ok) {
      assert.equal(r.error.code, 'invalid_input');
      assert.match(r.error.message, message);
    }
  }
});
