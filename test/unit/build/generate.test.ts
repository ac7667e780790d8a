import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateResponses } from '../../../main/llm/generate.ts';
import { ResponseLog } from '../../../main/llm/response-log.ts';
import { TeacherClient, TeacherError } from '../../../main/llm/teacher-client.ts';
import { TokenBucket } from '../../../main/llm/token-bucket.ts';
import { usageByTeacher } from '../../../main/data/build/usage.ts';
import { replyFor, startFakeTeacher } from './fake-teacher-server.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'saenggak-gen-'));
const SECRET = 'sk-test-0123456789abcdef';

test('teacher survives 429 + Retry-After, 500, a hanging connection, truncated and malformed bodies', async () => {
  const server = await startFakeTeacher({ faults: ['429', '500', 'hang', 'truncated', 'malformed', 'no_choices'] });
  try {
    const logs: string[] = [];
    const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', apiKey: SECRET, timeoutMs: 300, backoffMs: 1, maxRetries: 6, log: (l) => logs.push(l) });
    const reply = await teacher.generate('1+1은?');
    assert.equal(reply.attempts, 7);
    assert.deepEqual({ thinking: reply.thinking, answer: reply.answer }, replyFor('1+1은?'));
    assert.equal(reply.thinkingSource, 'think_tags');
    assert.deepEqual(reply.usage, { promptTokens: 10, completionTokens: 20 });
    assert.equal(server.requests[0].authorization, `Bearer ${SECRET}`);
    assert.equal(logs.length, 6);
    assert.ok(logs.some((l) => l.includes('timed out')));
    assert.ok(logs.some((l) => l.includes('not JSON')));
    for (const line of logs) assert.ok(!line.includes(SECRET));
  } finally {
    await server.close();
  }
});

test('reasoning_content becomes the thinking; the system prompt is sent first', async () => {
  const server = await startFakeTeacher({ reasoningField: true });
  try {
    const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', systemPrompt: '한국어로 생각하세요' });
    const reply = await teacher.generate('질문');
    assert.equal(reply.thinkingSource, 'reasoning_field');
    assert.deepEqual({ thinking: reply.thinking, answer: reply.answer }, replyFor('질문'));
  } finally {
    await server.close();
  }
});

test('401 fails at once with a hint and without the key; 400 is permanent', async () => {
  const server = await startFakeTeacher({ faults: ['401', '400'] });
  try {
    const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', apiKey: SECRET, backoffMs: 1 });
    await assert.rejects(teacher.generate('x'), (e: TeacherError) => e.status === 401 && !e.permanent && e.message.includes('API key') && !e.message.includes(SECRET));
    await assert.rejects(teacher.generate('x'), (e: TeacherError) => e.status === 400 && e.permanent);
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test('token bucket spaces requests at the configured rate', async () => {
  let now = 0;
  const sleeps: number[] = [];
  const bucket = new TokenBucket(10, 1, () => now, async (ms) => {
    sleeps.push(ms);
    now += ms;
  });
  for (let i = 0; i < 5; i++) await bucket.take();
  assert.deepEqual(sleeps, [100, 100, 100, 100]);
});

test('generation logs every (prompt, teacher, sample) once; permanent errors are recorded; usage and cost sum up', async () => {
  const server = await startFakeTeacher({ faults: ['ok', '400', '500'] });
  const dir = tmp();
  try {
    // sampling.n 1: one request per sample, so the single 400 fault costs exactly one sample.
    const teachers = ['a', 'b'].map((name) => new TeacherClient({ name, baseUrl: server.url, model: name, concurrency: 2, backoffMs: 1, sampling: { n: 1 } }));
    const prompts = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, prompt: `문제 ${i}` }));
    const log = ResponseLog.open(join(dir, 'responses.jsonl'));
    const summary = await generateResponses({ prompts, teachers, samplesPerPrompt: 3, log });
    assert.equal(summary.total, 30);
    assert.equal(summary.failed, 1);
    log.close();
    const lines = readFileSync(join(dir, 'responses.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 30);
    assert.equal(new Set(lines.map((l) => `${l.prompt_id}/${l.teacher}/${l.sample_idx}`)).size, 30);
    const usage = usageByTeacher(lines, new Map([['a', { inputPerMTok: 1, outputPerMTok: 2 }], ['b', undefined]]));
    const total = usage.reduce((s, u) => s + u.responses, 0);
    assert.equal(total, 29);
    const a = usage.find((u) => u.teacher === 'a')!;
    assert.equal(a.promptTokens, a.responses * 10);
    assert.equal(a.estimatedCost, (a.responses * 10 * 1 + a.responses * 20 * 2) / 1e6);
    assert.equal(usage.find((u) => u.teacher === 'b')!.estimatedCost, null);
  } finally {
    await server.close();
  }
});

test('a torn last line from a crash is cut off on open', () => {
  const path = join(tmp(), 'responses.jsonl');
  const entry = { prompt_id: 'p', teacher: 't', sample_idx: 0, status: 'ok', thinking: '', answer: 'a', thinking_source: 'none', finish_reason: null, usage: null, created_at: '' };
  writeFileSync(path, JSON.stringify(entry) + '\n');
  appendFileSync(path, '{"prompt_id": "q", "teach');
  const log = ResponseLog.open(path);
  assert.equal(log.size, 1);
  assert.equal(log.tornBytes, '{"prompt_id": "q", "teach'.length);
  log.add({ ...entry, prompt_id: 'q' } as never);
  log.close();
  assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).prompt_id), ['p', 'q']);
});

test('SIGKILL mid-generation, then resume: every response exactly once, nothing acknowledged lost', async () => {
  const server = await startFakeTeacher({ delayMs: 15, faults: ['ok', '500', 'ok', '429'] });
  const logPath = join(tmp(), 'responses.jsonl');
  const child = (count: number) => spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'generate-child.ts'), server.url, logPath, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const first = child(30);
    let acknowledged = 0;
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      first.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const m of buffer.matchAll(/ack (\d+)\n/g)) acknowledged = Math.max(acknowledged, Number(m[1]));
        if (acknowledged >= 25) {
          first.kill('SIGKILL');
        }
      });
      first.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended early: ${code}`))));
    });
    assert.ok(acknowledged >= 25 && acknowledged < 120, `killed after ${acknowledged} acknowledged`);
    const afterKill = ResponseLog.open(logPath);
    assert.ok(afterKill.size >= acknowledged, `log holds ${afterKill.size}, ${acknowledged} were acknowledged`);
    afterKill.close();

    const second = child(30);
    let out = '';
    second.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    assert.equal(code, 0);
    assert.ok(out.includes('finished'));
    const lines = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const keys = lines.map((l) => `${l.prompt_id}/${l.teacher}/${l.sample_idx}`);
    assert.equal(keys.length, 120);
    assert.equal(new Set(keys).size, 120);
    for (const line of lines) assert.equal(line.answer, replyFor(`문제 ${line.prompt_id.slice(1)}`).answer);
  } finally {
    await server.close();
  }
});
