import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { accuracyReward } from '../../../main/rewards/accuracy-reward.ts';
import { computeRewards, parseRewardConfig } from '../../../main/rewards/compose.ts';
import { rewardModelReward, type SummaryScorer } from '../../../main/rewards/reward-model-reward.ts';

const GOOD = '<think>먼저 두 수를 더하면 된다. 삼에 사를 더하면 칠이 되므로 답은 칠이다. 한 번 더 확인해 보아도 같다.</think>따라서 답은 \\boxed{7}입니다.';
const WRONG_ENGLISH = '<think>Let us add the numbers carefully. Three plus four is eight, I believe, so the answer must be eight.</think>\\boxed{8}';

describe('accuracyReward', () => {
  it('scores 1/0 and null without a gold answer (TRL convention)', () => {
    assert.deepEqual(accuracyReward([GOOD, WRONG_ENGLISH, GOOD], { gold: ['7', '7', null] }), [1, 0, null]);
  });
  it('reads the answer from the summary, not from a guess inside the thinking', () => {
    const r = accuracyReward(['<think>maybe \\boxed{7}?</think>I am not sure.', '<think>\\boxed{7} and then cut off'], { gold: ['7', '7'] });
    assert.deepEqual(r, [0, 0]);
    assert.deepEqual(accuracyReward(['<think>maybe \\boxed{7}?</think>I am not sure.'], { gold: ['7'], answerFrom: 'all' }), [1]);
  });
  it('accepts chat-message completions and maps choices per sample', () => {
    const completion = [{ role: 'assistant', content: '<think>고민</think>정답은 (B)' }];
    assert.deepEqual(accuracyReward([completion], { gold: ['11'], choices: [['10', '11']] }), [1]);
  });
});

describe('rewardModelReward (summary only)', () => {
  it('passes only the summary to the scorer and skips empty summaries', async () => {
    const seen: string[] = [];
    const scorer: SummaryScorer = async (prompt, summary) => {
      seen.push(`${prompt}|${summary}`);
      return summary.length;
    };
    const r = await rewardModelReward(['<think>long hidden reasoning</think>short', '<think>cut', '<think>x</think>'], { prompts: ['p1', 'p2', 'p3'], scorer });
    assert.deepEqual(r, [5, null, null]);
    assert.deepEqual(seen, ['p1|short']);
  });
  it('rejects a non-finite score from the model', async () => {
    await assert.rejects(rewardModelReward(['<think>a</think>b'], { prompts: ['p'], scorer: async () => NaN }), /non-finite/);
  });
});

describe('computeRewards', () => {
  const config = {
    accuracy: { weight: 1 },
    format: { weight: 0.2, requireAnswer: 'boxed' as const },
    language: { weight: 0.5 },
    rewardModel: { weight: 0.3 },
  };
  const scorer: SummaryScorer = async () => 0.5;

  it('gives per-component scores, a weighted total and reasons', async () => {
    const [good, bad] = await computeRewards(
      [
        { prompt: '3 더하기 4는?', response: GOOD, gold: '7' },
        { prompt: '3 더하기 4는?', response: WRONG_ENGLISH, gold: '7' },
      ],
      config,
      { scorer, spans: true },
    );
    assert.equal(good.components.accuracy?.score, 1);
    assert.equal(good.components.format?.score, 1);
    assert.equal(good.components.language?.score, 1);
    assert.equal(good.components.rewardModel?.score, 0.5);
    // Independent sum of weight × score.
    assert.equal(good.total, 1 * 1 + 0.2 * 1 + 0.5 * 1 + 0.3 * 0.5);
    assert.equal(bad.components.accuracy?.score, 0);
    assert.equal(bad.components.language?.score, 0);
    assert.equal(bad.total, 0.2 * 1 + 0.3 * 0.5);
    assert.equal(good.reasons.length, 4);
    assert.match(bad.reasons.join('\n'), /accuracy: 0\.000 \(not_equal: 8 vs 7\)/);
    const detail = good.components.language?.detail as { spans: unknown[] };
    assert.ok(Array.isArray(detail.spans), 'language spans are returned for the UI');
  });

  it('skips components that do not apply, and can normalize by the applicable weights', async () => {
    const sample = { prompt: '안녕?', response: GOOD };
    const [plain] = await computeRewards([sample], { accuracy: { weight: 1 }, format: { weight: 1 } });
    assert.equal(plain.components.accuracy?.score, null);
    assert.equal(plain.total, 1);
    const [normalized] = await computeRewards([sample], { accuracy: { weight: 1 }, format: { weight: 1 }, language: { weight: 3 }, normalize: true });
    assert.equal(normalized.total, (1 * 1 + 3 * 1) / 4);
  });

  it('validates the config and the dependencies with clear errors', async () => {
    assert.throws(() => parseRewardConfig({ accuracy: { weight: -1 } }), /accuracy\.weight/);
    assert.throws(() => parseRewardConfig({ acuracy: { weight: 1 } }), /invalid reward config/);
    await assert.rejects(computeRewards([], { rewardModel: { weight: 1 } }), /no scorer/);
    await assert.rejects(computeRewards([], { judge: { weight: 1 } }), /no judge client/);
  });
});

describe('saenggak reward CLI', () => {
  const bin = resolve(import.meta.dirname, '../../../bin/saenggak.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'reward', ...args], { encoding: 'utf8' });

  it('reward math --json prints exactly {correct, extracted, pred, gold, reason}', () => {
    const r = run('math', '--pred', '정답은 (C)입니다.', '--gold', '12', '--options', '10', '11', '12', '13', '14', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { correct: true, extracted: '(C)입니다', pred: '12', gold: '12', reason: 'equal_string' });
  });
  it('reward lang and format print JSON, and bad input exits non-zero with a message', () => {
    const text = '먼저 식을 정리하면 $x=2$이므로 답은 둘이다. 검산해도 맞다.';
    const lang = run('lang', '--text', text, '--lang', 'ko', '--json');
    assert.equal(lang.status, 0, lang.stderr);
    const parsed = JSON.parse(lang.stdout);
    assert.equal(parsed.score, 1);
    assert.deepEqual(parsed.spans[0], { start: text.indexOf('$x=2$'), end: text.indexOf('$x=2$') + 5, kind: 'math' });
    const format = run('format', '--text', '<think>a</think>', '--json');
    assert.equal(JSON.parse(format.stdout).score, 0);
    const bad = run('lang', '--text', 'x', '--lang', 'klingon');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown target language/);
  });
});
