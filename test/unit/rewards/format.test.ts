import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFormat, formatReward } from '../../../main/rewards/format-reward.ts';
import { splitThinking } from '../../../main/rewards/think-split.ts';

describe('splitThinking', () => {
  it('splits a well-formed response and reports offsets', () => {
    const text = '<think>생각 중</think>\n답은 3이다.';
    const s = splitThinking(text);
    assert.equal(s.status, 'ok');
    assert.equal(s.thinking, '생각 중');
    assert.equal(s.summary, '답은 3이다.');
    assert.deepEqual(s.thinkingSpan, [7, 11]);
    assert.equal(text.slice(s.summaryStart).trim(), '답은 3이다.');
  });
  it('treats a response with only a close tag as thinking opened in the prompt', () => {
    const s = splitThinking('생각\n</think>\n요약');
    assert.equal(s.status, 'implicit_open');
    assert.equal(s.thinking, '생각');
    assert.equal(s.summary, '요약');
  });
  it('reports a missing close tag with an empty summary', () => {
    const s = splitThinking('<think>끝나지 않은 생각');
    assert.equal(s.status, 'unclosed');
    assert.equal(s.thinking, '끝나지 않은 생각');
    assert.equal(s.summaryEmpty, true);
  });
  it('reports no tags, nested, repeated and stray tags', () => {
    assert.equal(splitThinking('just an answer').status, 'no_thinking');
    assert.equal(splitThinking('just an answer').summary, 'just an answer');
    const nested = splitThinking('<think>a<think>b</think>c</think>d');
    assert.equal(nested.status, 'nested');
    assert.equal(nested.thinking, 'a<think>b</think>c');
    assert.equal(nested.summary, 'd');
    const repeated = splitThinking('<think>a</think>b<think>c</think>d');
    assert.equal(repeated.status, 'repeated');
    assert.equal(repeated.blocks, 2);
    assert.equal(repeated.summary, 'bd');
    assert.equal(splitThinking('<think>a</think>b</think>c').status, 'stray_close');
    assert.equal(splitThinking('a</think>b</think>').status, 'repeated');
  });
  it('reports empty parts explicitly', () => {
    const s = splitThinking('<think>  </think>  ');
    assert.equal(s.status, 'ok');
    assert.equal(s.thinkingEmpty, true);
    assert.equal(s.summaryEmpty, true);
  });
  it('uses configurable tags and rejects unusable ones', () => {
    const s = splitThinking('<reasoning>r</reasoning>s', { open: '<reasoning>', close: '</reasoning>' });
    assert.equal(s.thinking, 'r');
    assert.equal(s.summary, 's');
    assert.throws(() => splitThinking('x', { open: '', close: '</t>' }), /two different non-empty/);
  });
  it('handles many stray tags without deep recursion', () => {
    const s = splitThinking('</think>'.repeat(50000));
    assert.equal(s.status, 'repeated');
  });
});

describe('format reward', () => {
  it('gives 1 to a well-formed response and 0 otherwise, with reasons', () => {
    assert.equal(checkFormat('<think>생각</think>요약').score, 1);
    const r = checkFormat('<think>생각</think>');
    assert.equal(r.score, 0);
    assert.deepEqual(r.reasons, ['summary is empty']);
    assert.match(checkFormat('<think>a</think>b<think>c</think>d').reasons[0], /2 thinking blocks/);
    assert.match(checkFormat('no thinking here').reasons.join(), /no thinking block/);
    assert.match(checkFormat('<think>cut off').reasons.join(), /never closed/);
    assert.match(checkFormat('hi <think>a</think>b').reasons.join(), /text before/);
  });
  it('requires a final answer when configured', () => {
    assert.equal(checkFormat('<think>a</think>답은 3', { requireAnswer: 'boxed' }).score, 0);
    assert.equal(checkFormat('<think>a</think>답은 3', { requireAnswer: 'any' }).score, 1);
    assert.equal(checkFormat('<think>a</think>따라서 \\boxed{3}', { requireAnswer: 'boxed' }).score, 1);
    // A boxed answer inside the thinking does not count for the summary.
    assert.equal(checkFormat('<think>\\boxed{3}</think>끝', { requireAnswer: 'boxed' }).score, 0);
  });
  it('can refuse the implicit open tag and give partial credit', () => {
    assert.equal(checkFormat('a</think>b', { allowImplicitOpen: false }).score, 0);
    assert.equal(checkFormat('<think>a</think>', { partialCredit: true }).score, 2 / 3);
  });
  it('is a TRL-style reward function', () => {
    assert.deepEqual(formatReward(['<think>a</think>b', 'b']), [1, 0]);
  });
});
