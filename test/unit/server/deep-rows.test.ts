// #23 point 4: a JSONL row nested 5000 levels deep imported fine, but its page answered 500 (the server's
// JSON.stringify overflowed the stack). Rows are now shown at most MAX_ROW_DEPTH levels deep; deeper values
// become a string of their shortened JSON text. The stored row is untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../../main/server.ts';
import { flattenDeepJson, MAX_ROW_DEPTH } from '../../../main/store/shallow-row.ts';

/** Depth of a parsed value by plain recursion (the row object is level 1). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const nested = (levels: number, leaf = '1') => '{"a":['.repeat(levels) + leaf + ']}'.repeat(levels);

test('flattenDeepJson leaves shallow JSON as it is and cuts deeper values into strings', () => {
  // Strings full of brackets, quotes and escapes do not count as nesting.
  const tricky = JSON.stringify({ s: '{[{["\\"}]', t: 'a\\"{', u: [1, { v: '}}]]' }], w: '\u0000"' });
  assert.equal(flattenDeepJson(tricky), tricky);
  const shallow = nested(31); // 62 levels
  assert.equal(flattenDeepJson(shallow), shallow);

  const deep = JSON.parse(flattenDeepJson(nested(40, '"x{"')));
  assert.equal(depthOf(deep), MAX_ROW_DEPTH);
  // Walk down to the cut: the value there is the text of what was below, shortened.
  let node: unknown = deep;
  for (let level = 1; level < MAX_ROW_DEPTH; level++) node = Array.isArray(node) ? node[0] : (node as { a: unknown }).a;
  const cut = (node as unknown[])[0];
  assert.equal(typeof cut, 'string');
  assert.ok((cut as string).startsWith('{"a":[{"a":['));
  assert.match(cut as string, /nested deeper than 64 levels\)$/);
});

test('a row nested 5000 levels deep: its page answers 200 with the row cut at 64 levels', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-deep-'));
  await mkdir(join(dir, 'ui'));
  await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html>');
  await writeFile(join(dir, 'deep.jsonl'), `{"q":"x"}\n{"q":"y","a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}\n`);
  const server = await startServer({ staticDir: join(dir, 'ui'), workspace: join(dir, 'ws'), allowPaths: [dir], port: 0 });
  const call = async (method: string, input: unknown) => {
    const res = await fetch(`${server.origin}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: JSON.stringify(input) });
    assert.equal(res.status, 200, method);
    return res.json();
  };
  try {
    const started = await call('datasets.import', { dataset: 'deep', source: { kind: 'path', path: join(dir, 'deep.jsonl') } });
    for (;;) {
      const job = (await call('jobs.get', { id: started.value.jobId })).value;
      if (job.status === 'succeeded') break;
      assert.ok(job.status === 'queued' || job.status === 'running', job.error);
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await call('datasets.rows', { name: 'deep' });
    assert.equal(page.ok, true, JSON.stringify(page).slice(0, 300));
    assert.equal(page.value.total, 2);
    assert.equal(page.value.rows[1].q, 'y');
    assert.equal(depthOf(page.value.rows[1]), MAX_ROW_DEPTH);
    // The search path returns the same shape.
    const found = await call('datasets.rows', { name: 'deep', search: 'y' });
    assert.equal(found.ok, true);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
