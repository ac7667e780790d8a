// Self-correction code-switching data: every trace verifies, switches from English to Korean and corrects
// itself; kinds follow the mix; the teacher path keeps only checked replies from a real OpenAI-compatible
// HTTP server; `saenggak data selfcorrect` writes the dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TeacherClient } from '../../../main/data/build/index.ts';
import { checkSelfCorrection, parseArithmeticPrompt, selfCorrectRows, SELF_CORRECTION_SYSTEM_PROMPT } from '../../../main/data/selfcorrect/index.ts';
import { splitThinking } from '../../../main/rewards/think-split.ts';
import { openWorkspace } from '../../../main/store/index.ts';
import { arithmeticProblems, arithmeticRow } from '../../../main/train/tasks/index.ts';

const CLI = join(import.meta.dirname, '../../../bin/saenggak.js');
const assistantText = (row: Record<string, unknown>) => (row.messages as { role: string; content: string }[]).find((m) => m.role === 'assistant')!.content;

test('rule-written arithmetic traces all verify, switch from English to Korean and correct themselves', async () => {
  const problems = [1, 2, 3].flatMap((steps) => arithmeticProblems({ count: 40, seed: steps, steps, englishThinkingShare: 0.3, shortcutShare: 0.3 }));
  // The prompt parser reads back exactly what the task generated.
  for (const p of problems) assert.deepEqual(parseArithmeticPrompt(p.prompt), { start: p.start, steps: p.steps, answer: p.answer });
  const { rows, stats } = await selfCorrectRows(problems.map(arithmeticRow), { seed: 3, kinds: { 'english-start': 0.5, drift: 0.25, mistake: 0.25 } });
  assert.equal(rows.length, 120);
  assert.deepEqual(stats.perKind, { 'english-start': 60, drift: 30, mistake: 30, plain: 0 });
  for (const row of rows) {
    const text = assistantText(row);
    const check = checkSelfCorrection(text, String(row.answer));
    assert.ok(check.ok, `${check.problems.join('; ')}\n${text}`);
    assert.match(text, /잠깐/);
    assert.equal(row.shortcut, undefined, 'fields of the replaced trace are gone');
    const thinking = splitThinking(text).thinking;
    const [before] = thinking.split(/잠깐/);
    const equations = [...before.matchAll(/(\d+) (plus|minus) (\d+) is (\d+)\./g)].map((m) => ({ a: +m[1], plus: m[2] === 'plus', b: +m[3], c: +m[4] }));
    const wrong = equations.filter((e) => (e.plus ? e.a + e.b : e.a - e.b) !== e.c);
    if (row.selfcorrect_kind === 'mistake') assert.equal(wrong.length, 1, `a mistake trace states exactly one wrong English step:\n${text}`);
    else assert.equal(wrong.length, 0, text);
    // After the correction every line is a right Korean step.
    const after = thinking.slice(thinking.indexOf('\n', thinking.indexOf('잠깐')) + 1);
    for (const line of after.split('\n')) {
      const m = /^(\d+)(?:에|에서) (\d+)[을를] (더하면|빼면) (\d+)입니다\.$/.exec(line);
      assert.ok(m, `Korean step expected: ${line}`);
      assert.equal(+m[4], m[3] === '더하면' ? +m[1] + +m[2] : +m[1] - +m[2], line);
    }
  }
  // The check itself rejects what it must.
  assert.equal(checkSelfCorrection('<think>\n7에 5를 더하면 12입니다.\n</think>\n\n답은 \\boxed{12}입니다.', '12').ok, false, 'no switch, no correction');
  assert.equal(checkSelfCorrection('<think>\n7 plus 5 is 12.\n잠깐, 다시 확인해 보자.\n7에 5를 더하면 12입니다.\n</think>\n\n답은 \\boxed{13}입니다.', '12').verified, false);
  const plainMix = await selfCorrectRows(problems.slice(0, 40).map(arithmeticRow), { plainShare: 0.25, seed: 1 });
  assert.equal(plainMix.stats.perKind.plain, 10);
});

test('teacher traces: only replies that pass the checks are kept, failures retried then dropped', { timeout: 30_000 }, async () => {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const request = JSON.parse(body) as { messages: { role: string; content: string }[] };
      assert.equal(request.messages[0].content, SELF_CORRECTION_SYSTEM_PROMPT);
      const user = request.messages.at(-1)!.content;
      const n = (calls.get(user) ?? 0) + 1;
      calls.set(user, n);
      let content: string;
      if (user.startsWith('Solve x + 2 = 5')) {
        // First reply only in Korean (no switch): rejected; the retry is right.
        content = n === 1 ? '<think>x는 3입니다.</think>\n답은 \\boxed{3}입니다.' : '<think>We subtract 2 from both sides, so x is 3.\n잠깐, 다시 확인해 보자. 3에 2를 더하면 5이므로 x는 3이 맞습니다.</think>\n답은 \\boxed{3}입니다.';
      } else content = '<think>Half of ten is four.\n잠깐, 다시 생각해 보자. 10의 절반은 4입니다.</think>\n답은 \\boxed{4}입니다.'; // always wrong
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 20 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const teacher = new TeacherClient({ name: 'local', baseUrl: `http://127.0.0.1:${port}`, model: 'm', systemPrompt: SELF_CORRECTION_SYSTEM_PROMPT, maxRetries: 0 });
  try {
    const source = [
      { id: 'a', prompt: 'Solve x + 2 = 5 for x.', answer: '3' },
      { id: 'b', prompt: 'What is half of 10?', answer: '5' },
      { id: 'c', prompt: 'no answer here' },
    ];
    const { rows, stats } = await selfCorrectRows(source, { teacher, attempts: 2 });
    assert.deepEqual(rows.map((r) => r.id), ['a']);
    assert.equal(stats.byTeacher, 1);
    assert.deepEqual(stats.dropped, { missingColumns: 1, needsTeacher: 0, teacherFailed: 1 });
    assert.ok(checkSelfCorrection(assistantText(rows[0]), '3').ok);
    assert.equal(rows[0].selfcorrect_by, 'teacher:local');
    assert.equal([...calls.values()].reduce((a, b) => a + b, 0), 4, 'two tries per row');
    // Without a teacher, rows that are not the arithmetic task are counted, not guessed.
    const none = await selfCorrectRows(source.slice(0, 2));
    assert.equal(none.stats.dropped.needsTeacher, 2);
  } finally {
    teacher.close();
    server.close();
  }
});

test('saenggak data selfcorrect --source --out --json writes a dataset of checked traces', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfcorrect-'));
  try {
    const problems = arithmeticProblems({ count: 30, seed: 8, steps: 2 });
    writeFileSync(join(dir, 'src.jsonl'), problems.map((p) => JSON.stringify(arithmeticRow(p))).join('\n') + '\n');
    const ws = join(dir, 'ws');
    await (await openWorkspace(ws, { create: true })).close();
    const imp = spawnSync(process.execPath, [CLI, 'data', 'import', join(dir, 'src.jsonl'), '--dataset', 'arith', '--workspace', ws, '--json'], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr);
    const run = spawnSync(process.execPath, [CLI, 'data', 'selfcorrect', '--source', 'arith', '--out', 'arith-sc', '--kinds', 'english-start=1,mistake=1', '--workspace', ws, '--json'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim());
    assert.equal(summary.dataset, 'arith-sc');
    assert.equal(summary.rows, 30);
    assert.deepEqual(summary.perKind, { 'english-start': 15, drift: 0, mistake: 15, plain: 0 });
    const workspace = await openWorkspace(ws);
    try {
      const rows: Record<string, unknown>[] = [];
      for await (const batch of workspace.datasets.jsonBatches('arith-sc')) for (const t of batch) rows.push(JSON.parse(t));
      assert.equal(rows.length, 30);
      for (const row of rows) assert.ok(checkSelfCorrection(assistantText(row), String(row.answer)).ok);
    } finally {
      await workspace.close();
    }
    const bad = spawnSync(process.execPath, [CLI, 'data', 'selfcorrect', '--source', 'arith', '--out', 'x', '--kinds', 'sideways=1', '--workspace', ws], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown kind "sideways"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data selfcorrect --teacher: rows that are not the arithmetic task are written by an OpenAI-compatible teacher', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfcorrect-teacher-'));
  let auth: string | undefined;
  const server = createServer((req, res) => {
    auth = req.headers.authorization;
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const content = '<think>First, 6 times 7 is 42.\n잠깐, 다시 확인해 보자. 6을 7번 더하면 42이므로 맞습니다.</think>\n답은 \\boxed{42}입니다.';
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    writeFileSync(join(dir, 'src.jsonl'), [{ id: 'm', prompt: '6 × 7은 얼마입니까?', answer: '42' }, ...arithmeticProblems({ count: 2, seed: 1 }).map(arithmeticRow)].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const ws = join(dir, 'ws');
    await (await openWorkspace(ws, { create: true })).close();
    assert.equal(spawnSync(process.execPath, [CLI, 'data', 'import', join(dir, 'src.jsonl'), '--dataset', 'mixed', '--workspace', ws], { encoding: 'utf8' }).status, 0);
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [CLI, 'data', 'selfcorrect', '--source', 'mixed', '--out', 'mixed-sc', '--teacher', `http://127.0.0.1:${port}`, '--teacher-model', 'teacher-7b', '--workspace', ws, '--json'], { env: { ...process.env, SAENGGAK_TEACHER_API_KEY: 'sk-test' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stdout + stderr, /sk-test/, 'the API key is never printed');
    assert.equal(auth, 'Bearer sk-test');
    const summary = JSON.parse(stdout.trim());
    assert.equal(summary.rows, 3);
    assert.equal(summary.byTeacher, 1);
    assert.equal(summary.byRule, 2);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
