import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, bundledQwenTokenizerDir, copyTokenizerFiles } from '../../../main/models/tokenizer.ts';
import { formatThinking, splitThinking } from '../../../main/models/chat.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

const qwen = Tokenizer.bundledQwen();

test('Qwen tokenizer loads offline from a folder: known ids and special tokens', () => {
  assert.deepEqual(qwen.encode('Hello world'), [9707, 1879]); // the ids every Qwen2/2.5/3 tokenizer gives
  assert.equal(qwen.vocabSize, 151669);
  assert.equal(qwen.eosToken, '<|im_end|>');
  assert.equal(qwen.eosTokenId, 151645);
  assert.equal(qwen.padTokenId, 151643);
  assert.equal(qwen.bosTokenId, null);
  const think = qwen.tokenToId('<think>')!;
  assert.deepEqual(qwen.encode('<think>x</think>'), [think, qwen.encode('x')[0], qwen.tokenToId('</think>')]);
  assert.equal(qwen.idToToken(9707), 'Hello');
  assert.throws(() => qwen.decode([qwen.vocabSize]), /outside the vocabulary/);
});

test('Korean text encodes to several tokens and decodes back exactly', () => {
  const text = '안녕하세요! 생각 연구소에서 한국어로 추론하는 모델을 만듭니다. 1+1=2';
  const ids = qwen.encode(text);
  assert.ok(ids.length > 10 && ids.length < text.length);
  assert.ok(ids.every((id) => id >= 0 && id < qwen.vocabSize));
  assert.equal(qwen.decode(ids), text);
  assert.equal(qwen.decode([qwen.tokenToId('<|im_start|>')!, ...ids], { skipSpecialTokens: true }), text);
});

test('Qwen3 chat template: thinking kept on the last turn, stripped from history, enable_thinking=false', () => {
  const messages = [
    { role: 'system' as const, content: '한국어로 생각하세요.' },
    { role: 'user' as const, content: '1+1은?' },
    { role: 'assistant' as const, content: formatThinking('1 더하기 1은 2.', '답: 2') },
    { role: 'user' as const, content: '2+2는?' },
  ];
  assert.equal(
    qwen.applyChatTemplate(messages, { addGenerationPrompt: true }),
    '<|im_start|>system\n한국어로 생각하세요.<|im_end|>\n<|im_start|>user\n1+1은?<|im_end|>\n' +
      '<|im_start|>assistant\n답: 2<|im_end|>\n<|im_start|>user\n2+2는?<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(
    qwen.applyChatTemplate(messages.slice(0, 3)),
    '<|im_start|>system\n한국어로 생각하세요.<|im_end|>\n<|im_start|>user\n1+1은?<|im_end|>\n' +
      '<|im_start|>assistant\n<think>\n1 더하기 1은 2.\n</think>\n\n답: 2<|im_end|>\n',
  );
  assert.ok(qwen.applyChatTemplate(messages.slice(0, 2), { addGenerationPrompt: true, enableThinking: false }).endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
  const ids = qwen.encodeChat(messages.slice(0, 2), { addGenerationPrompt: true });
  assert.equal(ids[0], qwen.tokenToId('<|im_start|>'));
  assert.equal(qwen.decode(ids), qwen.applyChatTemplate(messages.slice(0, 2), { addGenerationPrompt: true }));
});

test('templates from chat_template.jinja, special-token variables and raise_exception', () => {
  const dir = tempDir();
  assert.deepEqual(copyTokenizerFiles(bundledQwenTokenizerDir(), dir), ['tokenizer.json', 'tokenizer_config.json']);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  delete config.chat_template;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  assert.throws(() => Tokenizer.load(dir).applyChatTemplate([{ role: 'user', content: 'x' }]), /has no chat template/);
  writeFileSync(join(dir, 'chat_template.jinja'),
    "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools') }}{% endif %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}");
  const t = Tokenizer.load(dir);
  assert.equal(t.applyChatTemplate([{ role: 'user', content: '안녕' }]), '[user]안녕<|im_end|>');
  assert.throws(() => t.applyChatTemplate([{ role: 'tool', content: '' }]), /chat template: no tools/);
});

test('missing tokenizer files are named along with what the folder has', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'config.json'), '{}');
  assert.throws(() => Tokenizer.load(dir), /no tokenizer\.json in .* \(folder has: config\.json\)/);
  assert.throws(() => copyTokenizerFiles(dir, tempDir()), /no tokenizer\.json/);
});

test('thinking format splits into thinking and answer, also when truncated or pre-filled', () => {
  assert.equal(formatThinking(' 생각 ', ' 답'), '<think>\n생각\n</think>\n\n답');
  assert.deepEqual(splitThinking('<think>\n생각\n</think>\n\n답'), { thinking: '생각', answer: '답', complete: true });
  assert.deepEqual(splitThinking('생각만\n</think>\n답'), { thinking: '생각만', answer: '답', complete: true });
  assert.deepEqual(splitThinking('<think>끝나지 않은'), { thinking: '끝나지 않은', answer: '', complete: false });
  assert.deepEqual(splitThinking('그냥 답'), { thinking: null, answer: '그냥 답', complete: true });
});

test('an empty id list decodes to empty text (a response that stopped at once), not an error', () => {
  assert.equal(qwen.decode([]), '');
  assert.equal(qwen.decode([], { skipSpecialTokens: true }), '');
  assert.throws(() => qwen.decode([-1]), /outside the vocabulary/);
});
