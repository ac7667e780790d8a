// The pairs.* contract methods end to end in process: a build job (recipe object → `pairs` job process)
// against the fake judge, then items with filters, labels, undo, disagreements, compare, distributions,
// and the CLI's export and label-stats on the same workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { MethodInput, MethodName, MethodOutput, Result } from '../../../main/api/contract.ts';
import { startFakeOpenAI } from './fake-openai.ts';

type Caller = <M extends MethodName>(method: M, input: MethodInput<M> | Record<string, unknown>) => Promise<Result<MethodOutput<M>>>;

function value<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}
function errorCode(result: Result<unknown>): string {
  assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result)}`);
  return (result as { error: { code: string } }).error.code;
}

test('pairs.* methods: build job, items and filters, labels and undo, compare, distributions, agreement; CLI export', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pairs-api-'));
  const session = new AppSession();
  const call: Caller = (method, input) => dispatch(method, input, { transport: 'http', session }, handlers) as never;
  const fake = await startFakeOpenAI();
  try {
    value(await call('workspace.open', { path: join(dir, 'ws'), create: true }));
    // Four prompts × three models; quality by model: x 9, y 5, z 1 (the judge reads it back).
    const rows = ['general', 'general', 'safety', 'reasoning'].flatMap((category, i) =>
      [['x', 9], ['y', 5], ['z', 1]].map(([model, q]) => ({ prompt: `prompt number ${i} about things`, response: `quality=${q} from ${model} on ${i}`, model, category })),
    );
    await writeFile(join(dir, 'responses.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const recipe = {
      collection: 'api-demo',
      responses: { path: join(dir, 'responses.jsonl'), columns: { category: 'category' } },
      scorers: [
        { type: 'judge', name: 'ja', base_url: fake.url, model: 'judge+0' },
        { type: 'judge', name: 'jb', base_url: fake.url, model: 'judge+1' },
      ],
      sets: [
        { name: 'api-bvw', construction: 'best_vs_worst', min_margin: 0.1 },
        { name: 'api-cons', construction: 'consensus', min_margin: 0.1, max_per_prompt: 3 },
      ],
    };
    assert.equal(errorCode(await call('pairs.build', { recipe: { ...recipe, scorers: [] } })), 'invalid_input');
    const { jobId } = value(await call('pairs.build', { recipe }));
    const job = await session.current!.jobs.wait(jobId);
    assert.equal(job.status, 'succeeded', job.error);
    assert.deepEqual((job.result as { sets: { name: string; pairs: number }[] }).sets.map((s) => [s.name, s.pairs]), [['api-bvw', 4], ['api-cons', 12]]);

    const sets = value(await call('pairs.sets', {}));
    assert.deepEqual(sets.map((s) => [s.name, s.pairs, s.labeled]), [['api-bvw', 4, {}], ['api-cons', 12, {}]]);
    assert.deepEqual(value(await call('pairs.collections', {})), ['api-demo']);
    const dist = value(await call('pairs.distributions', { collection: 'api-demo' }))!;
    assert.deepEqual(dist.scorers.map((s) => [s.scorer, s.n, s.before.counts.reduce((a, b) => a + b, 0)]), [['ja', 12, 12], ['jb', 12, 12]]);
    assert.equal(value(await call('pairs.distributions', { collection: 'nothing' })), null);

    const page = value(await call('pairs.items', { set: 'api-bvw', labeler: 'ann', filter: 'unlabeled' }));
    assert.deepEqual([page.total, page.setTotal, page.labeled, page.categories], [4, 4, 0, ['general', 'reasoning', 'safety']]);
    assert.ok(page.items.every((i) => i.chosenModel === 'x' && i.rejectedModel === 'z'));
    const [p0, p1, p2] = page.items;
    // ann agrees on p0, disagrees on p1 (prefers the rejected, shown first), calls p2 a tie.
    value(await call('pairs.label', { set: 'api-bvw', pairId: p0.pairId, labeler: 'ann', choice: 'first', shownOrder: ['chosen', 'rejected'] }));
    value(await call('pairs.label', { set: 'api-bvw', pairId: p1.pairId, labeler: 'ann', choice: 'first', shownOrder: ['rejected', 'chosen'], comment: 'z is actually right' }));
    value(await call('pairs.label', { set: 'api-bvw', pairId: p2.pairId, labeler: 'ann', choice: 'tie', shownOrder: ['rejected', 'chosen'] }));
    value(await call('pairs.label', { set: 'api-bvw', pairId: p0.pairId, labeler: 'bob', choice: 'second', shownOrder: ['rejected', 'chosen'] }));
    assert.equal(errorCode(await call('pairs.label', { set: 'api-bvw', pairId: 'nope', labeler: 'ann', choice: 'first', shownOrder: ['chosen', 'rejected'] })), 'not_found');
    assert.equal(errorCode(await call('pairs.label', { set: 'api-bvw', pairId: p0.pairId, labeler: ' ann', choice: 'first', shownOrder: ['chosen', 'rejected'] })), 'invalid_input');
    assert.equal(errorCode(await call('pairs.label', { set: 'api-bvw', pairId: p0.pairId, labeler: 'ann', choice: 'left', shownOrder: ['chosen', 'rejected'] })), 'invalid_input');

    assert.deepEqual(value(await call('pairs.items', { set: 'api-bvw', labeler: 'ann', filter: 'disagreements' })).items.map((i) => i.pairId), [p1.pairId]);
    assert.equal(value(await call('pairs.items', { set: 'api-bvw', labeler: 'ann', filter: 'unlabeled' })).total, 1);
    assert.equal(value(await call('pairs.items', { set: 'api-bvw', labeler: 'ann', filter: 'all', category: 'safety' })).total, 1);
    const undone = value(await call('pairs.undo', { set: 'api-bvw', labeler: 'ann' })).undone!;
    assert.equal(undone.pairId, p2.pairId);
    assert.deepEqual(value(await call('pairs.labels', { set: 'api-bvw', labeler: 'ann' })).map((l) => l.pairId).sort(), [p0.pairId, p1.pairId].sort());
    assert.equal(value(await call('pairs.labels', { set: 'api-bvw' })).length, 3);
    assert.deepEqual(value(await call('pairs.sets', {}))[0].labeled, { ann: 2, bob: 1 });

    const agreement = value(await call('pairs.agreement', { set: 'api-bvw' }));
    const annJa = agreement.humanVsScorer.find((r) => r.a === 'ann' && r.b === 'ja' && r.category === 'all')!;
    assert.deepEqual([annJa.n, annJa.agreement], [2, 0.5]);
    const between = agreement.betweenLabelers.find((r) => r.category === 'all')!;
    assert.deepEqual([between.a, between.b, between.n, between.agreement], ['ann', 'bob', 1, 1]);

    const comparison = value(await call('pairs.compare', { a: 'api-bvw', b: 'api-cons' }));
    assert.deepEqual([comparison.both, comparison.onlyA, comparison.onlyB, comparison.promptsBoth, comparison.promptsReversed], [4, 0, 8, 4, 0]);

    // The CLI on the same workspace: export with ann's corrections, and label-stats as JSON.
    const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
    const run = promisify(execFile);
    const out = join(dir, 'prefs.jsonl');
    const exported = await run(process.execPath, [bin, 'pairs', 'export', '--set', 'api-bvw', '--out', out, '--labels', 'ann', '--format', 'trl-plain', '--json', '--workspace', join(dir, 'ws')]);
    assert.deepEqual(JSON.parse(exported.stdout), { path: out, rows: 4, format: 'jsonl', layout: 'trl-plain', dropped: 0, swapped: 1 });
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(Object.keys(lines[0]), ['prompt', 'chosen', 'rejected', 'margin']);
    assert.match(lines[1].chosen, /from z/);
    const stats = await run(process.execPath, [bin, 'pairs', 'label-stats', '--set', 'api-bvw', '--json', '--workspace', join(dir, 'ws')]);
    assert.deepEqual(JSON.parse(stats.stdout).labelers, ['ann', 'bob']);
    const bad = await run(process.execPath, [bin, 'pairs', 'export', '--set', 'api-bvw', '--out', join(dir, 'x.csv'), '--workspace', join(dir, 'ws')]).catch((e: { stderr: string; code: number }) => e);
    assert.match((bad as { stderr: string }).stderr, /use \.jsonl or \.parquet/);
  } finally {
    await session.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
});
