import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { parseRecipe, runBuild } from '../../../main/data/build/index.ts';
import { openWorkspace } from '../../../main/store/index.ts';
import { replyFor, startFakeTeacher } from './fake-teacher-server.ts';

async function workspaceWithPrompts(prompts: { id: string; problem: string; answer: string }[]) {
  const dir = join(mkdtempSync(join(tmpdir(), 'saenggak-build-')), 'ws');
  const ws = await openWorkspace(dir, { create: true });
  const writer = await ws.datasets.beginWrite('prompts');
  await writer.append(prompts);
  await writer.commit();
  return { dir, ws };
}

test('recipe errors name the key and what to set; inline API keys are refused', () => {
  assert.throws(() => parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers: [] }), /at least one teacher[\s\S]*at teachers/);
  assert.throws(
    () => parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers: [{ name: 't', base_url: 'http://h', model: 'm', api_key: 'sk-123' }] }),
    /api_key_env/,
  );
  assert.throws(() => parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers: [{ name: 't', base_url: 'h', model: 'm' }] }), /base_url must be an http/);
  assert.throws(() => parseRecipe({ output: 'x', prompts: { dataset: 'p' }, teachers: [{ name: 't', base_url: 'http://h', model: 'm' }], filters: [{ type: 'judge', base_url: 'http://h', model: 'j' }] }), /min_score/);
});

test('a build generates, filters and writes a dataset with provenance and stats', async () => {
  // Gold answers: the fake teacher answers "답: <prompt length>", so the even prompts get a wrong gold.
  const problems = Array.from({ length: 6 }, (_, i) => `문제 번호 ${i}: 값을 구하시오`);
  problems.push(problems[0] + '  '); // exact duplicate prompt after normalization… of a different id
  const prompts = problems.map((problem, i) => ({ id: `q${i}`, problem, answer: i % 2 === 0 && i < 6 ? '99999' : String(problem.length) }));
  const { ws } = await workspaceWithPrompts(prompts);
  const server = await startFakeTeacher({ faults: ['429', '500'] });
  try {
    const recipe = parseRecipe({
      output: 'distill',
      prompts: { dataset: 'prompts', columns: { prompt: 'problem', answer: 'answer', id: 'id' } },
      teachers: [
        { name: 'alpha', base_url: server.url, model: 'model-a', api_key_env: 'ALPHA_KEY', price: { input_per_mtok: 1, output_per_mtok: 4 } },
        { name: 'beta', base_url: server.url, model: 'model-b', concurrency: 2 },
      ],
      samples_per_prompt: 2,
      filters: [{ type: 'format' }, { type: 'outcome' }, { type: 'exact_dedup', field: 'prompt' }, { type: 'decontaminate', eval_sets: [{ name: 'bench', texts: ['문제 번호 5: 값을 구하시오'] }], ngram: 4 }],
    });
    const result = await runBuild({ workspace: ws, recipe, env: { ALPHA_KEY: 'sk-secret-value-123' } });
    assert.deepEqual(result.stats.funnel.map((s) => [s.step, s.in, s.kept]), [
      ['generated', 28, 28],
      ['format', 28, 28],
      ['outcome', 28, 16], // q0, q2, q4 wrong gold: 3 prompts × 2 teachers × 2 samples dropped
      ['exact_dedup', 16, 16], // q6 duplicates q0, which the outcome step already dropped
      ['decontaminate', 16, 12], // q5
    ]);
    const page = await ws.datasets.rows('distill', { limit: 100 });
    assert.equal(page.total, 12);
    const ids = [...new Set(page.rows.map((r) => (r.provenance as { prompt_id: string }).prompt_id))];
    assert.deepEqual(ids, ['q1', 'q3', 'q6']);
    const row = page.rows[0] as { messages: { role: string; content: string }[]; provenance: Record<string, unknown> };
    assert.equal(row.messages[1].content, `<think>\n${replyFor(problems[1]).thinking}\n</think>\n\n${replyFor(problems[1]).answer}`);
    assert.deepEqual(Object.keys(row.provenance.filters as object), ['format', 'outcome', 'exact_dedup', 'decontaminate']);
    assert.equal(row.provenance.teacher, 'alpha');
    assert.equal(row.provenance.model, 'model-a');
    const stats = JSON.parse(readFileSync(join(result.buildDir, 'stats.json'), 'utf8'));
    const alpha = stats.teachers.find((t: { teacher: string }) => t.teacher === 'alpha');
    assert.deepEqual([alpha.generated, alpha.kept, alpha.droppedBy], [14, 6, { outcome: 6, decontaminate: 2 }]);
    assert.equal(stats.lengthHistogram.counts.reduce((a: number, b: number) => a + b, 0), 12);
    assert.equal(stats.languageShare.ko.count, 12);
    const usage = stats.usage.find((u: { teacher: string }) => u.teacher === 'alpha');
    assert.equal(usage.estimatedCost, (14 * 10 * 1 + 14 * 20 * 4) / 1e6);
    // The key reached the server and nothing persisted.
    assert.ok(server.requests.some((r) => r.authorization === 'Bearer sk-secret-value-123'));
    for (const file of ['responses.jsonl', 'recipe.json', 'stats.json', 'generation.json']) assert.ok(!readFileSync(join(result.buildDir, file), 'utf8').includes('sk-secret'));
  } finally {
    await server.close();
    await ws.close();
  }
});

test('CLI build killed with SIGKILL mid-generation resumes to exactly the expected dataset', async () => {
  const prompts = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, problem: `질문 ${i}번`, answer: '' }));
  const { dir, ws } = await workspaceWithPrompts(prompts);
  await ws.close();
  const server = await startFakeTeacher({ delayMs: 10, faults: ['500', 'ok', 'truncated'] });
  const recipePath = join(dir, '..', 'RECIPE.yaml');
  writeFileSync(
    recipePath,
    stringify({
      output: 'resumed',
      prompts: { dataset: 'prompts', columns: { prompt: 'problem', id: 'id' } },
      teachers: [{ name: 'a', base_url: server.url, model: 'm', concurrency: 3, max_retries: 5 }, { name: 'b', base_url: server.url, model: 'm2', concurrency: 2 }],
      samples_per_prompt: 2,
    }),
  );
  const cli = () => spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'build-cli-child.ts'), 'data', 'build', recipePath, '--workspace', dir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const first = cli();
    const logPath = join(dir, 'artifacts', 'builds', 'resumed', 'responses.jsonl');
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        let lines = 0;
        try {
          lines = readFileSync(logPath, 'utf8').split('\n').length - 1;
        } catch {
          // not created yet
        }
        if (lines >= 40) {
          clearInterval(poll);
          first.kill('SIGKILL');
        }
      }, 10);
      first.on('exit', (_code, signal) => {
        clearInterval(poll);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error('build finished before it could be killed'));
      });
    });
    const before = readFileSync(logPath, 'utf8').split('\n').filter(Boolean).length;
    assert.ok(before >= 40 && before < 160, `${before} responses before the kill`);
    const second = cli();
    let out = '';
    second.stdout!.on('data', (c: Buffer) => (out += c));
    assert.equal(await new Promise((resolve) => second.on('exit', resolve)), 0);
    const summary = JSON.parse(out);
    assert.equal(summary.rows, 160);
    assert.equal(summary.generation.alreadyDone, before);
    const ws2 = await openWorkspace(dir);
    try {
      const rows = (await ws2.datasets.rows('resumed', { limit: 1000 })).rows as { provenance: { prompt_id: string; teacher: string; sample_idx: number }; answer: string; prompt: string }[];
      const keys = rows.map((r) => `${r.provenance.prompt_id}/${r.provenance.teacher}/${r.provenance.sample_idx}`);
      assert.equal(new Set(keys).size, 160);
      const expected = prompts.flatMap((p) => ['a', 'b'].flatMap((t) => [0, 1].map((s) => `${p.id}/${t}/${s}`)));
      assert.deepEqual(keys, expected);
      for (const r of rows) assert.equal(r.answer, replyFor(r.prompt).answer);
    } finally {
      await ws2.close();
    }
  } finally {
    await server.close();
  }
});
