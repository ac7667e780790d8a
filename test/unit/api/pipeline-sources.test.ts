// What a pipeline run wrote, offered by other pages through the API: its held-out split as an Evaluate
// benchmark (eval/pipeline-benchmarks.ts) and its pairs file as a labelable set (pairs/pair-sources.ts).
// Both modules read the pipeline's state through a reader the handler passes in (they sit below the
// pipeline); this drives them through the real router with a real state.json written by the pipeline's own
// writer, and an unreadable state that must offer nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import { PIPELINE_STATE_FORMAT, pipelineDir, writePipelineState } from '../../../main/pipeline/state.ts';

test("a pipeline's held-out split is an eval benchmark and its pairs file a labelable set; a broken state offers nothing", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-pipeline-sources-'));
  const session = new AppSession();
  const call = async (method: string, input: Record<string, unknown>) => {
    const result = (await dispatch(method as never, input as never, { transport: 'http', session }, handlers)) as { ok: boolean; value?: unknown; error?: unknown };
    if (!result.ok) assert.fail(`${method}: ${JSON.stringify(result.error)}`);
    return result.value as never;
  };
  try {
    const root = join(dir, 'ws');
    await call('workspace.open', { path: root, create: true });
    const out = join(dir, 'outputs');
    await mkdir(out, { recursive: true });
    const heldout = join(out, 'heldout.jsonl');
    await writeFile(heldout, '{"problem":"1+1","answer":"2"}\n');
    const pairs = join(out, 'pairs.jsonl');
    await writeFile(pairs, ['{"prompt":"p1","chosen":"good","rejected":"bad","id":"a"}', '{"prompt":"p2","chosen":"yes","rejected":"no","id":"b"}'].join('\n') + '\n');
    await writePipelineState(root, {
      format: PIPELINE_STATE_FORMAT,
      name: 'demo',
      status: 'finished',
      updatedAt: '',
      stages: { data: { status: 'finished', outputs: { train: join(out, 'missing-train.jsonl'), heldout } }, pairs: { status: 'finished', outputs: { output: pairs } } },
    });
    // A pipeline whose state cannot be read is skipped, not an error for the whole list.
    await mkdir(pipelineDir(root, 'broken'), { recursive: true });
    await writeFile(join(pipelineDir(root, 'broken'), 'state.json'), '{ not json');

    const benchmarks = (await call('eval.benchmarks', {})) as { source: string; label: string; origin: string }[];
    assert.deepEqual(benchmarks.filter((b) => b.origin === 'pipeline'), [{ source: heldout, label: 'demo/heldout', origin: 'pipeline', rows: null }]);

    const sets = (await call('pairs.sets', {})) as { name: string; pairs: number; options: Record<string, unknown> }[];
    const set = sets.find((s) => s.name === 'demo.pipeline-pairs');
    assert.ok(set, `sets: ${sets.map((s) => s.name).join(', ')}`);
    assert.equal(set.pairs, 2);
    assert.deepEqual(set.options, { source: 'pipeline', file: pairs });
    assert.ok(!sets.some((s) => s.name.startsWith('broken')));
    const page = (await call('pairs.items', { set: 'demo.pipeline-pairs', labeler: 'ann', limit: 10 })) as { total: number; items: { pairId: string; chosen: string }[] };
    assert.deepEqual(page.items.map((i) => [i.pairId, i.chosen]), [['a', 'good'], ['b', 'yes']]);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
});
