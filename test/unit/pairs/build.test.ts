import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { openWorkspace, type Workspace } from '../../../main/store/index.ts';
import { exportPreferenceSet } from '../../../main/pairs/export.ts';
import { runPairsBuild } from '../../../main/pairs/build.ts';
import { parsePairsRecipe, readPairsRecipeFile } from '../../../main/pairs/recipe.ts';
import { labelLog, listSets, readPreferenceSet } from '../../../main/pairs/set-store.ts';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';

const prompts = [
  { id: 'g1', prompt: '서울의 봄 날씨를 알려줘', category: 'general', lang: 'ko' },
  { id: 'g2', prompt: 'Explain recursion briefly', category: 'general', lang: 'en' },
  { id: 's1', prompt: '위험한 화학물질 만드는 법', category: 'safety', lang: 'ko' },
  { id: 'r1', prompt: '2+2는?', category: 'reasoning', lang: 'ko' },
];

describe('pairs build (fake OpenAI generators and judges)', () => {
  let dir: string;
  let ws: Workspace;
  let fake: FakeOpenAI;
  let recipe: ReturnType<typeof parsePairsRecipe>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pairs-build-'));
    ws = await openWorkspace(join(dir, 'ws'), { create: true });
    const writer = await ws.datasets.beginWrite('prompts');
    await writer.append(prompts);
    await writer.commit();
    fake = await startFakeOpenAI();
    recipe = parsePairsRecipe({
      collection: 'demo',
      prompts: { dataset: 'prompts', columns: { prompt: 'prompt', id: 'id', category: 'category', lang: 'lang' } },
      generators: ['good-7b', 'mid-3b', 'bad-1b'].map((model) => ({ type: 'openai', name: model, base_url: fake.url, model, max_retries: 0 })),
      scorers: [
        { type: 'judge', name: 'judge-a', base_url: fake.url, model: 'judge+0', max_retries: 0 },
        { type: 'judge', name: 'judge-b', base_url: fake.url, model: 'judge+1', max_retries: 0 },
      ],
      sets: [
        { name: 'demo-consensus', construction: 'consensus', min_margin: 0.1 },
        { name: 'demo-bvw', construction: 'best_vs_worst', min_margin: 0.5 },
        { name: 'demo-balanced', construction: 'balanced', min_margin: 0.5, per_category: 1 },
      ],
    });
  });

  after(async () => {
    await ws?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('collects, scores, re-centres and writes three sets as datasets with provenance', async () => {
    const result = await runPairsBuild({ workspace: ws, recipe, baseDir: dir });
    assert.equal(result.responses, 12);
    assert.equal(fake.requests.filter((r) => r.role === 'generator').length, 12);
    assert.equal(fake.requests.filter((r) => r.role === 'judge').length, 24);
    assert.deepEqual(result.recentre.scorers.map((s) => s.scorer), ['judge-a', 'judge-b']);
    assert.equal(result.recentre.calibrationSize, 12);

    const bvw = await readPreferenceSet(ws, 'demo-bvw');
    assert.equal(bvw.length, 4);
    for (const pair of bvw) {
      assert.equal(pair.chosen_model, 'good-7b');
      assert.equal(pair.rejected_model, 'bad-1b');
      assert.match(pair.chosen, /^<think>\ngood-7b thinks about .*\n<\/think>\n\nquality=8 answer to /);
      assert.deepEqual(pair.scores, { 'judge-a': [0.8, 0.2], 'judge-b': [0.9, 0.3] });
      assert.equal(pair.provenance.collection, 'demo');
      assert.equal(pair.provenance.construction, 'best_vs_worst');
    }
    assert.deepEqual(bvw.map((p) => [p.prompt_id, p.category, p.lang]), prompts.map((p) => [p.id, p.category, p.lang]));
    const consensus = await readPreferenceSet(ws, 'demo-consensus');
    assert.equal(consensus.length, 4); // one per prompt: the widest agreed pair, good over bad
    const balanced = await readPreferenceSet(ws, 'demo-balanced');
    assert.deepEqual(balanced.map((p) => p.category), ['general', 'reasoning', 'safety']);
    const sets = await listSets(ws);
    assert.deepEqual(sets.map((s) => s.name), ['demo-balanced', 'demo-bvw', 'demo-consensus']);
    assert.deepEqual(sets[1].models, { 'good-7b': { chosen: 4, rejected: 0 }, 'bad-1b': { chosen: 0, rejected: 4 } });
    assert.deepEqual((await ws.datasets.get('demo-bvw')).columns.map((c) => c.name).slice(0, 13), ['pair_id', 'prompt_id', 'prompt', 'chosen', 'rejected', 'margin', 'category', 'lang', 'chosen_model', 'rejected_model', 'chosen_id', 'rejected_id', 'scores']);
  });

  it('resumes: a second run neither generates nor scores again', async () => {
    const before = fake.requests.length;
    const result = await runPairsBuild({ workspace: ws, recipe, baseDir: dir });
    assert.equal(fake.requests.length, before);
    assert.equal(result.sets.length, 3);
  });

  it('weights scorers by human labels of an earlier set', async () => {
    const pairs = await readPreferenceSet(ws, 'demo-bvw');
    const log = labelLog(ws, 'demo-bvw');
    for (const p of pairs) await log.label({ pairId: p.pair_id, labeler: 'ann', choice: 'first', shownOrder: ['chosen', 'rejected'] });
    const result = await runPairsBuild({ workspace: ws, recipe: { ...recipe, recentre: { ...recipe.recentre, weight_by_accuracy: { labels_of: 'demo-bvw' } } }, baseDir: dir });
    assert.deepEqual(result.recentre.scorers.map((s) => [s.accuracy, s.labeled, s.weight]), [[1, 4, 1], [1, 4, 1]]);
  });

  it('exports TRL prompt/chosen/rejected/margin as JSONL and Parquet, optionally with a labeler’s corrections', async () => {
    const pairs = await readPreferenceSet(ws, 'demo-bvw');
    const jsonl = join(dir, 'out.jsonl');
    assert.equal((await exportPreferenceSet(ws, { set: 'demo-bvw', out: jsonl, layout: 'trl-plain' })).rows, 4);
    const rows = (await readFile(jsonl, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows, pairs.map((p) => ({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, margin: p.margin })));

    const parquet = join(dir, 'out.parquet');
    await exportPreferenceSet(ws, { set: 'demo-bvw', out: parquet, metadata: true, layout: 'trl-plain' });
    const bytes = await readFile(parquet);
    const read = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
    assert.deepEqual(read.map((r) => [r.prompt, r.chosen, r.rejected, r.margin, r.category, r.chosen_model]), pairs.map((p) => [p.prompt, p.chosen, p.rejected, p.margin, p.category, p.chosen_model]));

    // bob swaps the first pair and calls the second a tie.
    const log = labelLog(ws, 'demo-bvw');
    await log.label({ pairId: pairs[0].pair_id, labeler: 'bob', choice: 'first', shownOrder: ['rejected', 'chosen'] });
    await log.label({ pairId: pairs[1].pair_id, labeler: 'bob', choice: 'tie', shownOrder: ['rejected', 'chosen'] });
    const corrected = await exportPreferenceSet(ws, { set: 'demo-bvw', out: jsonl, humanLabels: 'bob', layout: 'trl-plain' });
    assert.deepEqual([corrected.rows, corrected.swapped, corrected.dropped], [3, 1, 1]);
    const first = JSON.parse((await readFile(jsonl, 'utf8')).split('\n')[0]);
    assert.deepEqual([first.chosen, first.rejected], [pairs[0].rejected, pairs[0].chosen]);
    await assert.rejects(exportPreferenceSet(ws, { set: 'demo-bvw', out: join(dir, 'out.csv') }), /\.jsonl or \.parquet/);
  });

  it('refuses to overwrite a dataset that is not a preference set', async () => {
    await assert.rejects(
      runPairsBuild({ workspace: ws, recipe: { ...recipe, sets: [{ name: 'prompts', construction: 'best_vs_worst', min_margin: 0 }] }, baseDir: dir }),
      /a dataset named "prompts" already exists and is not a preference set/,
    );
    assert.equal((await ws.datasets.get('prompts')).rows, prompts.length);
  });

  it('imports existing responses instead of generating', async () => {
    const file = join(dir, 'responses.jsonl');
    const rows = [
      { prompt: 'What is the capital city of France?', response: 'quality=9 a', model: 'x', category: 'general' },
      { prompt: 'What is the capital city of France?', response: 'quality=1 b', model: 'y', category: 'general' },
      { prompt: '질문 2', response: 'quality=3 c', model: 'x', category: 'safety' },
      { prompt: '질문 2', response: 'quality=7 d', model: 'y', category: 'safety' },
    ];
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const result = await runPairsBuild({
      workspace: ws,
      recipe: parsePairsRecipe({
        collection: 'imported',
        responses: { path: 'responses.jsonl', columns: { category: 'category' } },
        scorers: [{ type: 'judge', name: 'j', base_url: fake.url, model: 'judge+0' }],
        sets: [{ name: 'imported-bvw', construction: 'best_vs_worst', min_margin: 0 }],
      }),
      baseDir: dir,
    });
    assert.equal(result.responses, 4);
    const pairs = await readPreferenceSet(ws, 'imported-bvw');
    assert.deepEqual(pairs.map((p) => [p.chosen, p.rejected, p.lang]), [['quality=9 a', 'quality=1 b', 'en'], ['quality=7 d', 'quality=3 c', 'ko']]);
  });
});

describe('pairs recipe validation', () => {
  it('explains what is wrong, with key paths', async () => {
    const check = (value: unknown, pattern: RegExp) => assert.throws(() => parsePairsRecipe(value), pattern);
    const base = { collection: 'c', responses: { dataset: 'r' }, scorers: [{ type: 'judge', name: 'j', base_url: 'http://x/v1', model: 'm' }], sets: [{ name: 's', construction: 'consensus' }] };
    parsePairsRecipe(base);
    check({ ...base, scorers: [...base.scorers, { ...base.scorers[0], name: 'k' }, { ...base.scorers[0], name: 'l' }, { ...base.scorers[0], name: 'n' }] }, /at most three scorers/);
    check({ ...base, scorers: [base.scorers[0], base.scorers[0]] }, /"j" is used twice/);
    check({ ...base, sets: [{ name: 's', construction: 'random' }] }, /sets/);
    check({ ...base, generators: [{ type: 'openai', name: 'g', base_url: 'http://x', model: 'm' }] }, /either generators .* or responses/);
    check({ ...base, responses: undefined, generators: [{ type: 'openai', name: 'g', base_url: 'http://x', model: 'm' }] }, /generators need prompts/);
    check({ ...base, scorers: [{ ...base.scorers[0], api_key: 'sk-1' }] }, /do not put API keys in a recipe/);
    check({ ...base, collection: 'a/b' }, /collection/);
    const yamlPath = join(tmpdir(), `pairs-recipe-${process.pid}.yaml`);
    await writeFile(yamlPath, 'collection: c\nscorers: []\n');
    await assert.rejects(readPairsRecipeFile(yamlPath), /is not a valid pairs recipe:[\s\S]*scorers[\s\S]*sets/);
    await rm(yamlPath);
  });
});
