import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TeacherClient } from '../../../main/llm/teacher-client.ts';
import { replyFor, startFakeTeacher } from './fake-teacher-server.ts';

const noSleep = async () => undefined;

test('streamed replies are assembled from deltas (think tags and reasoning_content), with usage', async () => {
  for (const reasoningField of [false, true]) {
    const server = await startFakeTeacher({ reasoningField });
    try {
      const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', stream: true, sleep: noSleep });
      const reply = await teacher.generate('3 더하기 4는?');
      const expected = replyFor('3 더하기 4는?');
      assert.equal(reply.thinking, expected.thinking);
      assert.equal(reply.answer, expected.answer);
      assert.equal(reply.thinkingSource, reasoningField ? 'reasoning_field' : 'think_tags');
      assert.equal(reply.finishReason, 'stop');
      assert.deepEqual(reply.usage, { promptTokens: 10, completionTokens: 20 });
      assert.equal(reply.attempts, 1);
    } finally {
      await server.close();
    }
  }
});

test('a stream cut mid-way and a stream that goes silent are retried; the half-written trace is never returned', async () => {
  const server = await startFakeTeacher({ faults: ['stream_cut', 'stream_stall'] });
  const lines: string[] = [];
  try {
    const teacher = new TeacherClient({ name: 't', baseUrl: server.url, model: 'm', stream: true, timeoutMs: 300, sleep: noSleep, log: (l) => lines.push(l) });
    const reply = await teacher.generate('질문');
    assert.equal(reply.attempts, 3);
    assert.equal(reply.thinking, replyFor('질문').thinking);
    assert.equal(server.requests.length, 3);
    assert.match(lines[0], /stream ended mid-way|failed/);
    assert.match(lines[1], /timed out after 300 ms/);
  } finally {
    await server.close();
  }
});
