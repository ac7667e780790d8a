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

// #24: what the back end sends as codes has a message in both languages (the test above then checks the
// Korean is Korean). A new code, verdict, report text, job title or GRPO metric without one fails here.
const hasKey = (key: string) => Object.hasOwn(en, key) && Object.hasOwn(ko, key);

test('every reward reason code and math verdict has a message', async () => {
  const { REASON_CODES, VERDICT_REASONS } = await import('../../../main/rewards/reason-codes.ts');
  assert.deepEqual(REASON_CODES.filter((c) => !hasKey(`rewards.why.${c}`)), []);
  assert.deepEqual(VERDICT_REASONS.filter((v) => !hasKey(`rewards.verdict.${v}`)), []);
  // The verifier's verdict reasons, read from its source, are all in VERDICT_REASONS.
  const dir = join(import.meta.dirname, '../../../main/rewards');
  const source = ['math/verify.ts', 'math/compare.ts', 'accuracy-reward.ts'].map((f) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return ''; } }).join('\n');
  const found = new Set([...source.matchAll(/(?:reason: |\?\? )'([a-z_]+)'|'(equal_[a-z_]+)'/g)].map((m) => m[1] ?? m[2]));
  assert.ok(found.size >= 10, `found the verdicts in the source: ${[...found]}`);
  assert.deepEqual([...found].filter((v) => !(VERDICT_REASONS as readonly string[]).includes(v)), []);
});

test('every text the pipeline report marks for translation has a message', async () => {
  const { reportHtml } = await import('../../../main/pipeline/report.ts');
  const { STAGE_ORDER } = await import('../../../main/pipeline/stage-names.ts');
  const statuses = ['pending', 'running', 'finished', 'skipped', 'stopped', 'failed', 'unavailable'] as const;
  const stages = STAGE_ORDER.map((name, i) => ({ name, status: statuses[i % statuses.length], seconds: 1, summary: name === 'rewardModel' ? { accuracy: 1, heldOutPairs: 26 } : {} }));
  const extra = statuses.map((status) => ({ name: 'sft' as const, status, seconds: 1 }));
  const summary = (model: string) => ({ name: model, model, benchmark: 'heldout', n: 4, k: 1, pass1: 0.5, passAtK: 0.5, passAt: { 1: 0.5 }, majAtK: 0.5, lang: { target: 'ko', meanConsistency: 1, targetShare: 1, meanTargetShare: 1 }, formatValid: 1, meanThinkingTokens: 40, meanResponseTokens: 50, seconds: 1, generationSeconds: 1, verificationSeconds: 0, generatedSamples: 4 });
  const roles = ['base', 'sft', 'grpo'] as const;
  const results = { models: roles.map((role) => ({ role, path: `/m/${role}` })), benchmarks: [{ name: 'heldout', source: '/d' }], results: roles.map((role) => ({ role, benchmark: 'heldout', summary: summary(`/m/${role}`) })) };
  const { ablationHtml } = await import('../../../main/pipeline/ablation-summary.ts');
  const { alignmentHtml } = await import('../../../main/pipeline/alignment-report.ts');
  // The sections other recipes add (their headings and column heads; rows are data).
  const sections = [
    { markdown: '', html: ablationHtml({ arms: [], baselineAccuracy: 0.5, noiseRule: 'n' } as never) },
    { markdown: '', html: alignmentHtml({ start: { scores: { accuracy: 0, korean: 0 } }, arms: [], selfcorrect: { rows: 3 } } as never) },
  ];
  const keys = new Set<string>();
  for (const html of [reportHtml('t', [...stages, ...extra], results as never, sections), reportHtml('t', stages, { ...results, models: results.models.slice(0, 2), results: results.results.slice(0, 2) } as never)]) {
    for (const m of html.matchAll(/data-i18n(?:-aria)?="([^"]+)"/g)) keys.add(m[1]);
    for (const m of html.matchAll(/&quot;key&quot;:&quot;([\w.]+)&quot;/g)) keys.add(m[1]);
  }
  assert.ok(keys.size >= 50 && keys.has('report.ablation.stepsTo') && keys.has('report.alignment.delta'), `${keys.size} marked texts`);
  assert.deepEqual([...keys].filter((k) => !hasKey(k)), []);
});

test('every job title and GRPO metric the back end names has a message', () => {
  const main = join(import.meta.dirname, '../../../main');
  const titles: string[] = ['jobs.kind.sft', 'jobs.kind.sft.resume', 'jobs.kind.grpo', 'jobs.kind.grpo.resume'];
  for (const file of sourceFiles(main)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bjobs\.start\('([\w-]+)'[^;]*?(variant: '(\w+)')?[^;]*;/g)) titles.push(`jobs.kind.${m[1]}${m[3] ? `.${m[3]}` : ''}`);
  }
  assert.ok(titles.includes('jobs.kind.export') && titles.includes('jobs.kind.pipeline'), titles.join());
  assert.deepEqual(titles.filter((k) => !hasKey(k)), []);
  // GRPO's per-step metrics: the keys of trainMetrics' record and of a skipped step's record.
  const stepLog = readFileSync(join(main, 'train/grpo/step-log.ts'), 'utf8');
  const body = stepLog.slice(stepLog.indexOf('function trainMetrics'), stepLog.indexOf('export function logStep'));
  const metrics = [...body.matchAll(/^\s{4}('?)([\w/]+)\1: /gm)].map((m) => m[2]);
  for (const c of ['accuracy', 'format', 'language', 'rewardModel', 'judge']) metrics.push(`rewards/${c}/mean`);
  const skipped = /split: 'train', (skipped_update[^}]*)\}/.exec(stepLog)?.[1] ?? '';
  metrics.push(...[...skipped.matchAll(/(\w+): /g)].map((m) => m[1]));
  assert.ok(metrics.length >= 25 && metrics.includes('clip_fraction') && metrics.includes('skipped_update'), metrics.join());
  assert.deepEqual([...new Set(metrics)].filter((k) => !hasKey(`train.series.${k}`)), []);
});
