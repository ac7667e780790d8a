import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { JudgeClient, JudgeError, parseRetryAfter, type JudgeLogEvent } from '../../../main/llm/judge-client.ts';
import { parseJudgeScore } from '../../../main/rewards/judge/parse-score.ts';
import { RUBRIC_EN, RUBRIC_KO, renderRubric } from '../../../main/rewards/judge/rubrics.ts';
import { judgeReward } from '../../../main/rewards/judge-reward.ts';

const API_KEY = 'sk-test-SECRET-0123456789abcdef';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

/** An OpenAI-protocol server whose behaviour each test scripts as a queue of handlers. */
class FakeOpenAI {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body, url: req.url ?? '' });
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on('close', () => this.inFlight--);
      const handler = this.queue.shift() ?? this.fallback;
      handler(req, body, res);
    });
  });
  queue: Handler[] = [];
  fallback: Handler = (_req, _body, res) => reply(res, 'Score: 5');
  requests: { headers: http.IncomingHttpHeaders; body: string; url: string }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  url = '';
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reset() {
    this.queue = [];
    this.requests = [];
    this.maxInFlight = 0;
    this.fallback = (_req, _body, res) => reply(res, 'Score: 5');
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function reply(res: http.ServerResponse, content: string, delayMs = 0) {
  const send = () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
  };
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
}

const server = new FakeOpenAI();
before(() => server.start());
after(() => server.stop());

function client(extra: Partial<ConstructorParameters<typeof JudgeClient>[0]> & { delays?: number[]; events?: JudgeLogEvent[] } = {}) {
  const { delays, events, ...rest } = extra;
  return new JudgeClient({
    baseUrl: server.url,
    model: 'judge-model',
    apiKey: API_KEY,
    timeoutMs: 2000,
    backoffMs: 100,
    sleep: async (ms) => void delays?.push(ms),
    log: (e) => events?.push(e),
    ...rest,
  });
}

describe('judge client against an OpenAI-compatible server', () => {
  it('sends the rubric with the key as a bearer token and parses a JSON score', async () => {
    server.reset();
    server.queue.push((_q, _b, res) => reply(res, '근거: 정확하고 자연스럽다.\n{"score": 8, "reason": "좋음"}'));
    const r = await client().score({ prompt: '1+1은?', response: '2입니다.', rubric: 'ko' });
    assert.equal(r.score, 0.8);
    assert.equal(r.parsed?.source, 'json');
    assert.equal(r.attempts, 1);
    const req = server.requests[0];
    assert.equal(req.url, '/v1/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
    const body = JSON.parse(req.body);
    assert.equal(body.model, 'judge-model');
    assert.equal(body.messages[0].role, 'system');
    assert.match(body.messages[1].content, /1\+1은\?/);
    assert.match(body.messages[1].content, /2입니다\./);
  });

  it('retries a 429 after the Retry-After delay', async () => {
    server.reset();
    server.queue.push((_q, _b, res) => {
      res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
      res.end('{"error":{"message":"rate limited"}}');
    });
    server.queue.push((_q, _b, res) => reply(res, 'Score: 7.5'));
    const delays: number[] = [];
    const r = await client({ delays }).score({ prompt: 'p', response: 'r', rubric: 'en' });
    assert.equal(r.score, 0.75);
    assert.equal(r.attempts, 2);
    assert.deepEqual(delays, [3000]);
  });

  it('backs off exponentially on 500s and succeeds', async () => {
    server.reset();
    for (let k = 0; k < 2; k++) {
      server.queue.push((_q, _b, res) => {
        res.writeHead(500);
        res.end('internal error');
      });
    }
    server.queue.push((_q, _b, res) => reply(res, '점수: 9/10'));
    const delays: number[] = [];
    const r = await client({ delays }).score({ prompt: 'p', response: 'r' });
    assert.equal(r.score, 0.9);
    assert.equal(r.attempts, 3);
    assert.equal(delays.length, 2);
    // backoffMs · 2^(k) with jitter in [50%, 100%].
    assert.ok(delays[0] >= 50 && delays[0] <= 100, `first ${delays[0]}`);
    assert.ok(delays[1] >= 100 && delays[1] <= 200, `second ${delays[1]}`);
  });

  it('aborts a hanging connection after the timeout and gives up after the retries', async () => {
    server.reset();
    server.fallback = () => {}; // never answers
    const events: JudgeLogEvent[] = [];
    await assert.rejects(
      client({ timeoutMs: 150, maxRetries: 1, events }).score({ prompt: 'p', response: 'r' }),
      (err: unknown) => err instanceof JudgeError && err.code === 'timeout' && err.attempts === 2,
    );
    assert.equal(server.requests.length, 2);
    assert.equal(events.filter((e) => e.type === 'retry').length, 1);
    server.server.closeAllConnections();
  });

  it('retries malformed bodies and reports bad_response', async () => {
    server.reset();
    server.fallback = (_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices": [ this is not json');
    };
    await assert.rejects(client({ maxRetries: 2 }).complete([{ role: 'user', content: 'x' }]), (err: unknown) => err instanceof JudgeError && err.code === 'bad_response' && err.attempts === 3);
    server.reset();
    server.queue.push((_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object": "chat.completion", "choices": []}');
    });
    server.queue.push((_q, _b, res) => reply(res, '[[6]]'));
    const r = await client().score({ prompt: 'p', response: 'r' });
    assert.equal(r.score, 0.6);
    assert.equal(r.attempts, 2);
  });

  it('does not retry a 401 and never puts the API key in errors or logs, even when the server echoes it', async () => {
    server.reset();
    server.fallback = (req, _b, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${API_KEY}`, header: req.headers.authorization } }));
    };
    const events: JudgeLogEvent[] = [];
    let caught: unknown;
    try {
      await client({ events }).score({ prompt: 'p', response: 'r' });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof JudgeError);
    assert.equal(caught.code, 'http');
    assert.equal(caught.status, 401);
    assert.equal(server.requests.length, 1, 'a 401 is not retried');
    assert.match(caught.message, /HTTP 401/);
    assert.match(caught.message, /\[REDACTED\]/);
    const everything = [caught.message, caught.stack ?? '', JSON.stringify(caught), JSON.stringify(events), String(caught)].join('\n');
    assert.ok(!everything.includes(API_KEY), 'API key leaked');
    assert.ok(!everything.includes('SECRET-0123'), 'part of the API key leaked');
  });

  it('reports a refused connection as a network error without the key', async () => {
    const dead = new JudgeClient({ baseUrl: 'http://127.0.0.1:1', model: 'm', apiKey: API_KEY, maxRetries: 1, sleep: async () => {} });
    await assert.rejects(dead.complete([{ role: 'user', content: 'x' }]), (err: unknown) => {
      assert.ok(err instanceof JudgeError);
      assert.equal(err.code, 'network');
      assert.ok(!JSON.stringify(err).includes(API_KEY) && !err.message.includes(API_KEY));
      return true;
    });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    server.reset();
    server.fallback = (_q, _b, res) => reply(res, '{"score": 4}', 40);
    const c = client({ concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => c.score({ prompt: 'p', response: 'r' })));
    assert.deepEqual(results.map((r) => r.score), [0.4, 0.4, 0.4, 0.4, 0.4, 0.4]);
    assert.equal(server.maxInFlight, 2);
  });

  it('judgeReward scores summaries and turns failures into null', async () => {
    server.reset();
    server.queue.push((_q, body, res) => reply(res, JSON.parse(body).messages[1].content.includes('SUMMARY-A') ? '{"score": 10}' : '{"score": 1}'));
    server.queue.push((_q, _b, res) => {
      res.writeHead(400);
      res.end('bad request');
    });
    const errors: number[] = [];
    const c = client({ concurrency: 1 });
    const r = await judgeReward(['<think>hidden</think>SUMMARY-A', '<think>x</think>SUMMARY-B', '<think>never closed'], {
      prompts: ['p', 'p', 'p'],
      judge: c,
      onError: (i) => errors.push(i),
    });
    assert.deepEqual(r, [1, null, null]);
    assert.deepEqual(errors, [1]);
    assert.ok(!server.requests[0].body.includes('hidden'), 'the thinking is not shown to the judge');
  });

  it('validates its options', () => {
    assert.throws(() => new JudgeClient({ baseUrl: 'ftp://x', model: 'm' }), /http\(s\) URL/);
    assert.throws(() => new JudgeClient({ baseUrl: 'http://x', model: 'm', concurrency: 0 }), /concurrency/);
    assert.equal(new JudgeClient({ baseUrl: 'http://x/v1/', model: 'm' }).url, 'http://x/v1/chat/completions');
    assert.equal(new JudgeClient({ baseUrl: 'http://x/api/chat/completions', model: 'm' }).url, 'http://x/api/chat/completions');
  });
});

describe('judge score parsing', () => {
  const cases: [string, number | null][] = [
    ['{"score": 8, "reason": "ok"}', 0.8],
    ['분석...\n```json\n{"score": 6.5}\n```', 0.65],
    ['{"점수": 7}', 0.7],
    ['점수: 8/10', 0.8],
    ['점수: 4 / 5', 0.8],
    ['총점은 10점 만점에 9점입니다.', 0.9],
    ['Score: 7.5', 0.75],
    ['Rating: [[3]]', 0.3],
    ['I would give this 7 out of 10.', 0.7],
    ['**Score:** 9', 0.9],
    ['First I thought Score: 3, but on reflection Score: 8', 0.8],
    ['{"score": 11}', null],
    ['{"score": "seven"}', null],
    ['The answer is well written.', null],
    ['', null],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => assert.equal(parseJudgeScore(text, 10)?.normalized ?? null, expected));
  }
  it('reads only a bounded tail of huge replies', () => {
    assert.equal(parseJudgeScore('x'.repeat(1_000_000) + ' Score: 6')?.normalized, 0.6);
    assert.equal(parseJudgeScore('score' + ' '.repeat(100000) + '7'), null);
  });
  it('parses Retry-After seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10000);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter(null), null);
  });
});

describe('rubrics', () => {
  it('fills placeholders once and adds the reference block only when given', () => {
    const m = renderRubric(RUBRIC_KO, { prompt: '질문 {response}', response: '답변', reference: '참고' });
    assert.match(m[1].content, /질문 \{response\}/);
    assert.match(m[1].content, /\[참고 답안\]\n참고/);
    const en = renderRubric(RUBRIC_EN, { prompt: 'Q', response: 'A' });
    assert.ok(!en[1].content.includes('Reference'));
    assert.ok(!en[1].content.includes('{reference}'));
  });
});
