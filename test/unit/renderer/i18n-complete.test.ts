// Every UI string in both languages (#24 point 7): the Korean catalogue has exactly the English keys, no
// Korean message is an English copy (except a short list of names and symbols that read the same), no
// English message holds Hangul, placeholders match, and every key the renderer's source names literally
// (i18n.t('…'), i18n.tn('…')) exists. Fails on an untranslated or missing key in either language.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { en } from '../../../renderer/src/lib/i18n/en.ts';
import { ko } from '../../../renderer/src/lib/i18n/ko.ts';

/** Messages that are the same in Korean: names, codes, symbols and numbers-only formats. */
const SAME_IN_BOTH = new Set<string>([
  'app.name', 'workspace.pathPlaceholder', 'datasets.formats', 'devices.cpu', 'devices.ortVersion', 'rewards.shortcut',
  'rewards.correct', 'rewards.kind.url', 'rewards.kind.html', 'train.kind.sft', 'train.kind.grpo', 'train.form.method.lora',
  'train.form.provider.cpu', 'train.form.provider.cuda', 'train.form.provider.webgpu', 'train.form.topP', 'recipe.stage.grpo',
  'recipe.seconds', 'devices.gpus',
]);
const HANGUL = /[\uac00-\ud7a3]/;
const LATIN_WORD = /[A-Za-z]{3,}/;

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'i18n' ? [] : sourceFiles(p);
    return /\.(svelte|ts)$/.test(name) ? [p] : [];
  });
}

test('Korean and English have the same keys and placeholders', () => {
  const enKeys = Object.keys(en).sort();
  const koKeys = Object.keys(ko).sort();
  assert.deepEqual(koKeys.filter((k) => !(k in en)), [], 'keys only in Korean');
  assert.deepEqual(enKeys.filter((k) => !(k in ko)), [], 'keys only in English');
  const mismatched = enKeys.filter((k) => placeholders(en[k as keyof typeof en]).join() !== placeholders(ko[k as keyof typeof ko]).join());
  assert.deepEqual(mismatched, [], 'placeholders differ');
});

test('no Korean message is left in English, no English message holds Hangul', () => {
  const copies = Object.keys(en).filter((k) => {
    const e = en[k as keyof typeof en];
    const k2 = ko[k as keyof typeof ko];
    return e === k2 && LATIN_WORD.test(e) && !SAME_IN_BOTH.has(k);
  });
  assert.deepEqual(copies, [], 'Korean messages identical to the English ones');
  const englishOnly = Object.keys(ko).filter((k) => {
    const text = ko[k as keyof typeof ko].replace(/\{\w+\}/g, '');
    return !HANGUL.test(text) && LATIN_WORD.test(text) && !SAME_IN_BOTH.has(k);
  });
  assert.deepEqual(englishOnly, [], 'Korean messages with English words and no Hangul');
  const hangulInEnglish = Object.keys(en).filter((k) => HANGUL.test(en[k as keyof typeof en]) && k !== 'settings.language.ko');
  assert.deepEqual(hangulInEnglish, [], 'English messages with Hangul');
});

test('every key the renderer names literally exists', () => {
  const missing: string[] = [];
  for (const file of sourceFiles(join(import.meta.dirname, '../../../renderer/src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bi18n\.tn?\(\s*'([\w.]+)'/g)) {
      const key = m[1];
      const plural = `${key}.other`;
      if (!(key in en) && !(plural in en)) missing.push(`${file.split('renderer/src/')[1]}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
});
