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
  // A chart bar's hover text: a model's name and a number, both filled in.
  'report.chart.barTitle',
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

// #24: the report's stage summary column. Every name a stage's summary can hold, read from where the stages
// build it (literal summaries, the SFT trainer's summary type, the reward model's and GRPO's summaries), plus
// the names built from data (eval's role/benchmark, the ablation's and alignment's arm names), is marked with
// a key that has a message; a new summary field without one fails here.
test('every stage summary entry the pipeline report shows has a message', async () => {
  const main = join(import.meta.dirname, '../../../main');
  const { reportHtml, summaryMark } = await import('../../../main/pipeline/report.ts');
  const { rewardModelSummary } = await import('../../../main/pipeline/stages/reward-model.ts');
  const names = new Map<string, Set<string>>();
  const add = (stage: string, name: string) => (names.get(stage) ?? names.set(stage, new Set()).get(stage)!).add(name);
  for (const stage of ['model', 'data', 'pairs']) {
    const file = readFileSync(join(main, 'pipeline/stages', `${stage}.ts`), 'utf8');
    // Each property of the literal, shorthand ones (`{ parameters, layers: … }`) included.
    for (const m of file.matchAll(/\bsummary: \{([^}]*)\}/g)) for (const k of m[1].matchAll(/(?:^|,)\s*(\w+)\s*(?=[:,]|$)/g)) add(stage, k[1]);
  }
  // SFT: the fields of SftSummary that are numbers or strings (the stage keeps only those).
  const sftTypes = readFileSync(join(main, 'train/sft/types.ts'), 'utf8');
  const sft = sftTypes.slice(sftTypes.indexOf('export interface SftSummary'), sftTypes.indexOf('export interface SftResult'));
  for (const m of sft.matchAll(/^ {2}(\w+)\??: ([^;{]+);/gm)) add('sft', m[1]);
  for (const k of Object.keys(rewardModelSummary({ status: 'finished', steps: 1, totalSteps: 1, loss: 0.5, accuracy: 1, eval: { n: 2, accuracy: 1, meanMargin: 0.3 }, pairsPerSecond: 3, data: {} } as never))) add('rewardModel', k);
  const grpo = readFileSync(join(main, 'train/grpo/trainer.ts'), 'utf8');
  for (const m of grpo.matchAll(/const summary: Record<string, number> = \{([^}]*)\}/g)) for (const k of m[1].matchAll(/(\w+):/g)) add('grpo', k[1]);
  for (const m of grpo.matchAll(/\bsummary\.(\w+) = /g)) add('grpo', m[1]);
  for (const n of ['base/heldout', 'sft/heldout', 'grpo/gsm8k-ko']) add('eval', n);
  for (const n of ['baseline_accuracy', 'vas_accuracy']) add('ablation', n);
  for (const n of ['full_before', 'selective_after']) add('alignment', n);
  const expected = ['family', 'layers', 'parameters', 'train', 'heldout', 'hastyTraces', 'rows', 'pairs', 'wrongAnswer', 'sets', 'status', 'steps', 'loss', 'evalLoss', 'tokensPerSecond', 'packingEfficiency', 'heldOutPairs', 'trainAccuracy', 'margin', 'reward', 'lang'];
  const all = new Set([...names.values()].flatMap((s) => [...s]));
  assert.deepEqual(expected.filter((n) => !all.has(n)), [], `found ${[...all].join(', ')}`);
  assert.ok(!all.has('examples'), 'SFT examples is an object, not shown');
  // Through the report itself: each entry's marker and the keys its parameters name (a status, a role).
  const stages = [...names].map(([name, set]) => ({ name, status: 'finished', seconds: 1, summary: Object.fromEntries([...set].map((k) => [k, k === 'status' ? 'stopped' : 0.25])) }));
  const html = reportHtml('t', stages as never, null);
  const keys = new Set<string>();
  for (const m of html.matchAll(/<span class="summary-entry" data-i18n="([^"]+)"(?: data-i18n-args="([^"]*)")?/g)) {
    keys.add(m[1]);
    for (const n of (m[2] ?? '').matchAll(/&quot;key&quot;:&quot;([\w.]+)&quot;/g)) keys.add(n[1]);
  }
  const entries = [...names.values()].reduce((n, s) => n + s.size, 0);
  assert.equal([...html.matchAll(/class="summary-entry"/g)].length, entries, 'every entry is marked');
  assert.ok(keys.has('report.summary.evalCell') && keys.has('report.role.grpo') && keys.has('report.summary.arm.before') && keys.has('report.status.stopped'), [...keys].join());
  assert.deepEqual([...keys].filter((k) => !hasKey(k)), []);
  // A name no message knows is still marked (the app then shows the English text as it is).
  assert.deepEqual(summaryMark('sft', 'brandNew', 1.5), { key: 'report.summary.brandNew', params: { value: '1.500' } });
});

// #24: the ablation's verdict sentences, its "not reached" cell and noise rule, the alignment's tuned-neurons
// cell, and the charts' hover texts.
test('ablation verdicts, alignment cells and chart hover texts are marked with keys that have messages', async () => {
  const { ablationHtml, summarizeAblation } = await import('../../../main/pipeline/ablation-summary.ts');
  const { accuracyVsLengthSvg } = await import('../../../main/eval/report.ts');
  const { beforeAfterSvg } = await import('../../../main/pipeline/report.ts');
  const run = (arm: string, seed: number, accs: number[]) => ({ arm, seed, run: `${arm}-${seed}`, evals: accs.map((accuracy, i) => ({ step: 10 * (i + 1), accuracy, lang: 0.9 })), zeroVarianceShare: 0, droppedShare: 0 });
  const summary = summarizeAblation([run('baseline', 1, [0.5, 0.6]), run('baseline', 2, [0.4, 0.6]), run('strong', 1, [0.9, 0.95]), run('strong', 2, [0.9, 0.96]), run('same', 1, [0.2, 0.58]), run('same', 2, [0.1, 0.62]), run('weak', 1, [0.1, 0.2]), run('weak', 2, [0.1, 0.21])], 'baseline');
  const html = ablationHtml(summary);
  const verdictKeys = [...html.matchAll(/<li data-i18n="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(verdictKeys, ['report.ablation.verdict.baseline', 'report.ablation.verdict.beyond', 'report.ablation.verdict.within', 'report.ablation.verdict.beyond']);
  assert.match(html, /data-i18n="report\.ablation\.notReached"/);
  assert.match(html, /data-i18n="report\.ablation\.noiseRuleText"/);
  // The English message is the back end's own sentence, parameters filled in (so the markers carry the same facts).
  const fill = (key: string, args: string) => en[key as keyof typeof en].replace(/\{(\w+)\}/g, (_, p: string) => String((JSON.parse(args.replaceAll('&quot;', '"')) as Record<string, unknown>)[p]));
  const verdicts = [...html.matchAll(/<li data-i18n="([^"]+)" data-i18n-args="([^"]*)">([^<]*)<\/li>/g)];
  assert.equal(verdicts.length, 4);
  for (const [, key, args, text] of verdicts) assert.equal(fill(key, args), text);
  const results = { models: [{ role: 'base' }, { role: 'sft' }], benchmarks: [{ name: 'heldout' }], results: ['base', 'sft'].map((role) => ({ role, benchmark: 'heldout', summary: { pass1: 0.5, lang: { meanTargetShare: 1 } } })) };
  const bars = beforeAfterSvg(results as never);
  const titles = [...bars.matchAll(/<title data-i18n="([^"]+)" data-i18n-args="([^"]*)">/g)];
  assert.equal(titles.length, 4, 'one hover text per bar');
  const evalSummary = (model: string) => ({ model, benchmark: 'heldout', pass1: 0.5, meanThinkingTokens: 12, lang: { target: 'ko', targetShare: 1 } });
  const points = accuracyVsLengthSvg([evalSummary('/m/base'), evalSummary('/m/sft')] as never, (m) => ({ base: 'report.role.base', sft: 'report.role.sft' })[m]);
  assert.equal([...points.matchAll(/<title data-i18n="report\.chart\.pointTitle"/g)].length, 2, 'one hover text per point');
  // The alignment table's "tuned" cell of an arm that tuned selected neurons ("selective, 12 neurons").
  const { alignmentHtml } = await import('../../../main/pipeline/alignment-report.ts');
  const scores = { accuracy: 0.5, korean: 0.5 };
  const aligned = alignmentHtml({ start: { model: 'm', scores }, selfcorrect: { rows: 3, perKind: {} }, arms: [{ arm: 'sel', method: 'selective', seed: 1, selection: 's.json', selected: 12, sftRun: 'a', grpoRun: 'b', before: scores, after: scores }] });
  assert.match(aligned, /data-i18n="report\.alignment\.tunedNeurons" data-i18n-args="\{&quot;method&quot;:&quot;selective&quot;,&quot;neurons&quot;:12\}">selective, 12 neurons</);
  const keys = new Set([...verdictKeys, 'report.ablation.notReached', 'report.ablation.noiseRuleText', ...titles.map((m) => m[1]), 'report.chart.pointTitle', 'report.alignment.tunedNeurons']);
  for (const m of (bars + points).matchAll(/&quot;key&quot;:&quot;([\w.]+)&quot;/g)) keys.add(m[1]);
  assert.ok(keys.has('report.role.sft'));
  assert.deepEqual([...keys].filter((k) => !hasKey(k)), []);
});
