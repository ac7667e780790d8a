// Reward reasons as codes (#24 "Korean everywhere"): each component gives the codes of the reasons its English
// `reason` states, with the numbers the sentence shows, so the UI can say the same in Korean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRewards } from '../../../main/rewards/index.ts';
import { REASON_CODES } from '../../../main/rewards/reason-codes.ts';

const config = { accuracy: { weight: 1 }, format: { weight: 1, requireAnswer: 'boxed' as const }, language: { weight: 1, target: 'ko' } };

test('a good Korean response: well formed, thinking in Korean, the verdict and both answers as parameters', async () => {
  const [r] = await computeRewards([{ prompt: '2 더하기 3은?', response: '<think>\n2에 3을 더하면 5입니다. 그러므로 구하는 답은 다섯이라고 할 수 있습니다. 이렇게 계산을 마칩니다.\n</think>\n\n답은 \\boxed{5}입니다.', gold: '5' }], config);
  assert.deepEqual(r.components.format!.codes, [{ code: 'format.wellFormed' }]);
  assert.deepEqual(r.components.language!.codes, [{ code: 'language.ok', params: { target: 'ko' } }]);
  const verdict = r.components.accuracy!.detail as { reason: string; pred: string; gold: string };
  assert.deepEqual(r.components.accuracy!.codes, [{ code: 'accuracy.verdict', params: { verdict: verdict.reason, pred: verdict.pred, gold: verdict.gold } }]);
  assert.equal(r.components.accuracy!.reason, `${verdict.reason}: ${verdict.pred} vs ${verdict.gold}`);
});

test('a bad response: each failed check and language shortfall has its code, with the numbers of the English reason', async () => {
  const [r] = await computeRewards([{ prompt: '2 더하기 3은?', response: 'Sure. <think>\nTwo plus three is five, so the answer is five.\n</think>\n\n', gold: null }], config);
  assert.deepEqual(r.components.accuracy!.codes, [{ code: 'accuracy.noGold' }]);
  assert.deepEqual(r.components.format!.codes.map((c) => c.code), ['format.preamble', 'format.summaryEmpty', 'format.noBoxedAnswer']);
  assert.equal(r.components.format!.reason, 'text before the thinking block; summary is empty; no final answer \\boxed{} in the summary');
  const language = r.components.language!;
  const notTarget = language.codes.find((c) => c.code === 'language.notTarget')!;
  assert.deepEqual(notTarget.params, { percent: 100, target: 'ko' });
  assert.match(language.reason, /^100% of the prose is not in ko/);
  const tooLittle = language.codes.find((c) => c.code === 'language.tooLittle')!;
  assert.match(language.reason, new RegExp(`too little ko text \\(${tooLittle.params!.mass} of ${tooLittle.params!.needed} needed\\)`));
  // Every code given is a listed one (the UI's catalogue is checked against the list).
  for (const c of [...r.components.format!.codes, ...language.codes]) assert.ok((REASON_CODES as readonly string[]).includes(c.code), c.code);
});
