// Teacher requests carry every OpenAI-compatible sampling field and server-specific extra body fields,
// batch samples with `n` where the server honours it (#25.4); a malformed 200 or a never-ending stream
// skips that prompt with the reason recorded and counted, 400s are asked again on the next run, and an
// error that stops the build names the prompt (#23.3). A local mock teacher checks each request body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TeacherClient, TeacherError } from '../../../main/llm/teacher-client.ts';
import { ResponseLog } from '../../../main/llm/response-log.ts';
import { generateResponses } from '../../../main/llm/generate.ts';
import { parseRecipe } from '../../../main/data/build/recipe.ts';

type Body = Record<string, any>;
type Handler = (body: Body, res: http.ServerResponse) => void;

/** An OpenAI-protocol server whose answers the test decides; it records every request body. */
async function mockTeacher(handler: Handler) {
  const bodies: Body[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
      bodies.push(body);
      open.add(res);
      res.on('close', () => open.delete(res));
      handler(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    bodies,
    close: async () => {
      for (const res of open) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const promptOf = (body: Body): string => body.messages.at(-1).content;
function completion(res: http.ServerResponse, contents: string[]): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({ choices: contents.map((content, index) => ({ index, message: { role: 'assistant', content }, finish_reason: 'stop' })), usage: { prompt_tokens: 5, completion_tokens: 7 } }),
  );
}
const tmpLog = () => ResponseLog.open(join(mkdtempSync(join(tmpdir(), 'teacher-opts-')), 'responses.jsonl'));
const fast = { backoffMs: 1, sleep: () => Promise.resolve() };

test('recipe sampling fields and extra_body reach the request body; extra_body is merged last', async () => {
  const recipe = parseRecipe({
    output: 'out',
    prompts: { dataset: 'p' },
    teachers: [{
      name: 'vllm', base_url: 'http://localhost:8000/v1', model: 'Qwen/Qwen3-8B',
      sampling: { temperature: 0.6, top_p: 0.95, seed: 7, stop: ['</answer>'], max_tokens: 2048, presence_penalty: 0.5, n: 1 },
      extra_body: { chat_template_kwargs: { enable_thinking: true }, repetition_penalty: 1.05, top_k: 20, top_p: 0.8 },
      deadline_s: 900,
    }],
  });
  assert.throws(() => parseRecipe({ ...recipe, teachers: [{ ...recipe.teachers[0], sampling: { repetition_penalty: 1.1 } }] }), /put server-specific fields such as repetition_penalty in extra_body/);
  assert.throws(() => parseRecipe({ ...recipe, teachers: [{ ...recipe.teachers[0], extra_body: { messages: [] } }] }), /extra_body may not set model, messages/);

  const server = await mockTeacher((body, res) => completion(res, [`답 ${promptOf(body)}`]));
  try {
    const t = recipe.teachers[0];
    const teacher = new TeacherClient({ name: t.name, baseUrl: server.url, model: t.model, sampling: t.sampling, extraBody: t.extra_body, deadlineMs: t.deadline_s! * 1000, ...fast });
    const log = tmpLog();
    await generateResponses({ prompts: [{ id: 'q1', prompt: '1+1?' }], teachers: [teacher], samplesPerPrompt: 2, log });
    log.close();
    assert.equal(server.bodies.length, 2, 'sampling.n 1: one request per sample');
    const [first, second] = server.bodies;
    assert.deepEqual(first, {
      model: 'Qwen/Qwen3-8B',
      messages: [{ role: 'user', content: '1+1?' }],
      temperature: 0.6, top_p: 0.8, seed: 7, stop: ['</answer>'], max_tokens: 2048, presence_penalty: 0.5,
      chat_template_kwargs: { enable_thinking: true }, repetition_penalty: 1.05, top_k: 20,
    });
    assert.equal(second.seed, 8, 'sample 1 uses seed + 1 so separate requests differ');
  } finally {
    await server.close();
  }
});

test('n: one request per prompt when the server honours it; a server that ignores or refuses n is detected once', async () => {
  const prompts = [0, 1, 2].map((i) => ({ id: `p${i}`, prompt: `문제 ${i}` }));
  // vLLM-like: honours n.
  const vllm = await mockTeacher((body, res) => completion(res, Array.from({ length: body.n ?? 1 }, (_, i) => `${promptOf(body)} #${i}`)));
  // Ollama-like: ignores n, one choice.
  const ollama = await mockTeacher((body, res) => completion(res, [`${promptOf(body)} seed ${body.seed}`]));
  // Refuses n with a 400.
  const strict = await mockTeacher((body, res) => (body.n ? res.writeHead(400).end('{"error":"n must be 1"}') : completion(res, [`${promptOf(body)} seed ${body.seed}`])));
  try {
    const make = (name: string, url: string) => new TeacherClient({ name, baseUrl: url, model: 'm', concurrency: 1, sampling: { seed: 100 }, ...fast });
    const teachers = [make('vllm', vllm.url), make('ollama', ollama.url), make('strict', strict.url)];
    const log = tmpLog();
    const summary = await generateResponses({ prompts, teachers, samplesPerPrompt: 4, log });
    assert.equal(summary.failed, 0);
    assert.equal(summary.generatedNow, 36);
    assert.deepEqual(vllm.bodies.map((b) => [promptOf(b), b.n, b.seed]), prompts.map((p) => [p.prompt, 4, 100]));
    assert.equal(teachers[0].supportsN, true);
    // Ollama: the first request asked n=4 and got one choice; the rest went one per sample with seeds 101…
    assert.equal(ollama.bodies[0].n, 4);
    assert.ok(ollama.bodies.slice(1).every((b) => b.n === undefined));
    assert.equal(ollama.bodies.length, 1 + 3 + 2 * 4);
    assert.deepEqual(ollama.bodies.slice(0, 4).map((b) => b.seed), [100, 101, 102, 103]);
    assert.equal(teachers[1].supportsN, false);
    assert.equal(strict.bodies.filter((b) => b.n).length, 1, 'the refusal is detected once');
    log.close();
    const entries = log.all().filter((e) => e.teacher === 'ollama' && e.prompt_id === 'p0').sort((a, b) => a.sample_idx - b.sample_idx);
    assert.deepEqual(entries.map((e) => e.answer), [100, 101, 102, 103].map((s) => `문제 0 seed ${s}`));
    const v = log.all().filter((e) => e.teacher === 'vllm' && e.prompt_id === 'p2').sort((a, b) => a.sample_idx - b.sample_idx);
    assert.deepEqual(v.map((e) => e.answer), ['문제 2 #0', '문제 2 #1', '문제 2 #2', '문제 2 #3']);
  } finally {
    await Promise.all([vllm.close(), ollama.close(), strict.close()]);
  }
});

test('#23.3: a malformed 200 and a 400 skip only their prompt, with the reason recorded and counted; the next run asks them again', async () => {
  let healthy = false;
  const server = await mockTeacher((body, res) => {
    const p = promptOf(body);
    if (!healthy && p === 'bad-200') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
    if (!healthy && p === 'bad-400') return res.writeHead(400).end('{"error":"context length exceeded"}');
    completion(res, [`ok ${p}`]);
  });
  try {
    const prompts = ['fine-1', 'bad-200', 'bad-400', 'fine-2'].map((p) => ({ id: p, prompt: p }));
    const path = join(mkdtempSync(join(tmpdir(), 'teacher-skip-')), 'responses.jsonl');
    const teacher = () => new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', concurrency: 1, maxRetries: 2, ...fast });
    const lines: string[] = [];
    let log = ResponseLog.open(path);
    const first = await generateResponses({ prompts, teachers: [teacher()], samplesPerPrompt: 1, log, onLog: (l) => lines.push(l) });
    log.close();
    assert.equal(first.failed, 2);
    assert.deepEqual(first.failedByReason, { bad_response: 1, http: 1 });
    const errors = log.all().filter((e) => e.status === 'error');
    assert.deepEqual(errors.map((e) => [e.prompt_id, e.error_code]).sort(), [['bad-200', 'bad_response'], ['bad-400', 'http']]);
    assert.match(errors.find((e) => e.prompt_id === 'bad-200')!.error!, /choices is empty.*after 3 attempts/);
    assert.ok(lines.some((l) => l.startsWith('prompt bad-200 sample 0:')), 'the log line names the prompt id');
    assert.equal(server.bodies.filter((b) => promptOf(b) === 'bad-200').length, 3, 'the malformed reply was retried, then skipped');

    // Next run: only the two skipped prompts are asked again, and their answers replace the errors.
    healthy = true;
    const before = server.bodies.length;
    log = ResponseLog.open(path);
    const second = await generateResponses({ prompts, teachers: [teacher()], samplesPerPrompt: 1, log });
    log.close();
    assert.deepEqual(server.bodies.slice(before).map(promptOf).sort(), ['bad-200', 'bad-400']);
    assert.equal(second.failed, 0);
    assert.equal(second.alreadyDone, 2);
    const reopened = ResponseLog.open(path);
    assert.deepEqual(reopened.all().map((e) => [e.prompt_id, e.status]).sort(), prompts.map((p) => [p.id, 'ok']).sort());
    reopened.close();
  } finally {
    await server.close();
  }
});

test('#23.3: a streaming teacher that never ends is cut at the per-request deadline; a fatal error names the prompt', async () => {
  const server = await mockTeacher((body, res) => {
    if (promptOf(body) !== 'endless') return completion(res, ['fine']);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // A token every 20 ms forever: the idle timeout never fires.
    const timer = setInterval(() => res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '아' } }] })}\n\n`), 20);
    res.on('close', () => clearInterval(timer));
  });
  try {
    const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', stream: true, timeoutMs: 5000, deadlineMs: 400, ...fast });
    const log = tmpLog();
    const started = performance.now();
    const summary = await generateResponses({ prompts: [{ id: 'e1', prompt: 'endless' }, { id: 'f1', prompt: 'fine' }], teachers: [teacher], samplesPerPrompt: 1, log });
    log.close();
    assert.ok(performance.now() - started < 3000, 'the build is not held by the endless stream');
    assert.deepEqual(summary.failedByReason, { deadline: 1 });
    assert.match(log.all().find((e) => e.prompt_id === 'e1')!.error!, /deadline/);
    assert.equal(log.all().find((e) => e.prompt_id === 'f1')!.status, 'ok');
  } finally {
    await server.close();
  }
  const denied = await mockTeacher((_body, res) => res.writeHead(401).end('{"error":"bad key"}'));
  try {
    const teacher = new TeacherClient({ name: 't', baseUrl: denied.url, model: 'm', ...fast });
    await assert.rejects(
      generateResponses({ prompts: [{ id: 'row-17', prompt: 'x' }], teachers: [teacher], samplesPerPrompt: 1, log: tmpLog() }),
      (e: Error) => e instanceof TeacherError && /^prompt row-17 \(teacher t\): teacher t: .*HTTP 401/.test(e.message),
    );
  } finally {
    await denied.close();
  }
});

test('#23.3 through data build: a teacher answering one prompt with {"choices":[]} no longer fails the build', async () => {
  const { openWorkspace } = await import('../../../main/store/index.ts');
  const { runBuild } = await import('../../../main/data/build/build.ts');
  const server = await mockTeacher((body, res) => {
    if (promptOf(body) === '문제 2') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
    completion(res, [`<think>생각</think>\n답 ${promptOf(body)}`]);
  });
  const ws = await openWorkspace(join(mkdtempSync(join(tmpdir(), 'teacher-build-')), 'ws'), { create: true });
  try {
    const writer = await ws.datasets.beginWrite('prompts');
    await writer.append([1, 2, 3].map((i) => ({ id: `q${i}`, problem: `문제 ${i}` })) as never);
    await writer.commit();
    const recipe = parseRecipe({
      output: 'distill',
      prompts: { dataset: 'prompts', columns: { prompt: 'problem', id: 'id' } },
      teachers: [{ name: 't', base_url: server.url, model: 'm', max_retries: 1, sampling: { top_p: 0.9 }, extra_body: { chat_template_kwargs: { enable_thinking: true } } }],
    });
    const lines: string[] = [];
    const result = await runBuild({ workspace: ws, recipe, log: (l) => lines.push(l) });
    assert.equal(result.rows, 2);
    assert.equal(result.generation.failed, 1);
    assert.deepEqual(result.generation.failedByReason, { bad_response: 1 });
    assert.ok(lines.some((l) => /^prompt q2 sample 0: .*choices is empty/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /1 skipped \(bad_response 1; reasons in responses\.jsonl, asked again on the next run\)/.test(l)), lines.join('\n'));
    assert.ok(server.bodies.every((b) => b.top_p === 0.9 && b.chat_template_kwargs?.enable_thinking === true));
  } finally {
    await ws.close();
    await server.close();
  }
});
