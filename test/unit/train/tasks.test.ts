import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arithmeticAlphabet, arithmeticProblems, compactVocabSize, writeCompactTokenizer } from '../../../main/train/tasks/index.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { computeRewards, splitThinking, languageConsistency } from '../../../main/rewards/index.ts';

test('arithmetic task: answers follow the steps, traces are right, and the verifier accepts the teacher', async () => {
  const problems = arithmeticProblems({ count: 300, seed: 3, steps: 3, englishThinkingShare: 0.3 });
  let english = 0;
  for (const p of problems) {
    // independent recomputation from the prompt's numbers
    const numbers = [...p.prompt.matchAll(/\d+/g)].map((m) => Number(m[0]));
    const verbs = [...p.prompt.matchAll(/(더|빼|뺍)/g)].map((m) => m[1]);
    assert.equal(numbers.length, 4);
    let v = numbers[0];
    verbs.forEach((verb, i) => (v = verb === '더' ? v + numbers[i + 1] : v - numbers[i + 1]));
    assert.equal(p.answer, v);
    assert.ok(v >= 0 && v <= 18);
    const [breakdown] = await computeRewards([{ prompt: p.prompt, response: p.response, gold: String(p.answer), target: 'ko' }], { accuracy: { weight: 1 }, format: { weight: 1 } });
    assert.equal(breakdown.components.accuracy?.score, 1, p.response);
    assert.equal(breakdown.components.format?.score, 1, p.response);
    if (p.thinkingLang === 'en') english++;
    const thinking = splitThinking(p.response).thinking ?? '';
    const lang = languageConsistency(thinking, { target: 'ko' });
    if (p.thinkingLang === 'ko') assert.ok(lang.score > 0.9, `${thinking} → ${lang.score}`);
    else assert.ok(lang.score < 0.1, `${thinking} → ${lang.score}`);
  }
  assert.ok(english > 50 && english < 130, `english share ${english}/300`);
  assert.deepEqual(arithmeticProblems({ count: 5, seed: 9 }), arithmeticProblems({ count: 5, seed: 9 }));
});

test('compact tokenizer: round-trips task text and chat markup with a small vocabulary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctok-'));
  const size = writeCompactTokenizer(dir, arithmeticAlphabet());
  const tok = Tokenizer.load(dir);
  assert.equal(tok.vocabSize, size);
  assert.equal(compactVocabSize(arithmeticAlphabet()), size);
  assert.ok(size < 120, `vocabulary ${size}`);
  const [p] = arithmeticProblems({ count: 1, seed: 1 });
  const text = tok.applyChatTemplate([{ role: 'user', content: p.prompt }, { role: 'assistant', content: p.response }]) as string;
  assert.ok(text.startsWith('<|im_start|>user\n'));
  const ids = tok.encode(text);
  assert.equal(tok.decode(ids), text);
  assert.equal(ids.filter((id) => id === tok.tokenToId('<think>')).length, 1);
  assert.equal(tok.eosTokenId, tok.tokenToId('<|im_end|>'));
  // skipping special tokens drops the chat markup but keeps the thinking's tags
  const plain = tok.decode(ids, { skipSpecialTokens: true });
  assert.ok(!plain.includes('<|im_start|>') && plain.includes('<think>') && plain.includes('</think>'), plain);
});

test('arithmetic task: a hasty teacher (shortcutShare) skips the working but stays correct; without it the problems are unchanged', async () => {
  const plain = arithmeticProblems({ count: 200, seed: 4, steps: 2, englishThinkingShare: 0.5 });
  const hasty = arithmeticProblems({ count: 200, seed: 4, steps: 2, englishThinkingShare: 0.5, shortcutShare: 0.5 });
  assert.deepEqual(arithmeticProblems({ count: 200, seed: 4, steps: 2, englishThinkingShare: 0.5, shortcutShare: 0 }), plain, 'shortcutShare 0 draws nothing extra');
  const shortcuts = hasty.filter((p) => p.shortcut);
  assert.ok(shortcuts.length > 70 && shortcuts.length < 130, `shortcut share ${shortcuts.length}/200`);
  for (const p of hasty) {
    const thinking = splitThinking(p.response).thinking ?? '';
    const lines = thinking.split('\n').filter((l) => l.trim());
    // A careful trace has one line per step, each with its intermediate result; a hasty one a single line with only the answer.
    assert.equal(lines.length, p.shortcut ? 1 : 2, thinking);
    if (p.shortcut) assert.deepEqual([...thinking.matchAll(/\d+/g)].map((m) => Number(m[0])), [p.answer], thinking);
    const [breakdown] = await computeRewards([{ prompt: p.prompt, response: p.response, gold: String(p.answer), target: 'ko' }], { accuracy: { weight: 1 }, format: { weight: 1 } });
    assert.equal(breakdown.components.accuracy?.score, 1, p.response);
    assert.equal(breakdown.components.format?.score, 1, p.response);
  }
  assert.ok(shortcuts.some((p) => p.thinkingLang === 'ko') && shortcuts.some((p) => p.thinkingLang === 'en'), 'both languages are hasty sometimes');
  assert.throws(() => arithmeticProblems({ count: 1, shortcutShare: 1.5 }), /shortcutShare must be between 0 and 1/);
  // The compact tokenizer's alphabet covers the hasty lines too.
  const dir = mkdtempSync(join(tmpdir(), 'ctok-hasty-'));
  writeCompactTokenizer(dir, arithmeticAlphabet());
  const tok = Tokenizer.load(dir);
  for (const p of shortcuts.slice(0, 20)) assert.equal(tok.decode(tok.encode(p.response)), p.response);
});
