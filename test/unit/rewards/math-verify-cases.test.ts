// The 300+ case fixture (fixtures/math-verify-cases.jsonl: {kind, pred, gold, correct}, English and Korean,
// true and false pairs) through every door the verifier has: in process (verifyResponse, what the accuracy
// reward calls), `saenggak reward math --input` (one process, one verdict per line), and the verl reward file
// saenggak_reward.py under python3 against a live reward server. All three must give the fixture's verdict.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRewardServer, type RunningRewardServer } from '../../../main/reward-server/server.ts';
import { verifyResponse } from '../../../main/rewards/accuracy-reward.ts';
import { computeRewards } from '../../../main/rewards/index.ts';
import { extractAnswer } from '../../../main/rewards/math/extract.ts';
import * as S from '../../../main/rewards/math/scaled.ts';
import { verifyMath } from '../../../main/rewards/math/verify.ts';

type Case = { kind: string; pred: string; gold: string; correct: boolean };

const FIXTURE = resolve(import.meta.dirname, 'fixtures/math-verify-cases.jsonl');
const CASES: Case[] = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Case);
const HANGUL = /[\uac00-\ud7a3]/;

describe('fixture', () => {
  it('has at least 300 cases, true and false pairs in every kind, English and Korean', () => {
    assert.ok(CASES.length >= 300, `only ${CASES.length} cases`);
    const kinds = new Map<string, { t: number; f: number }>();
    for (const c of CASES) {
      const k = kinds.get(c.kind) ?? { t: 0, f: 0 };
      if (c.correct) k.t++;
      else k.f++;
      kinds.set(c.kind, k);
    }
    for (const [kind, { t, f }] of kinds) assert.ok(t > 0 && f > 0, `${kind}: ${t} true, ${f} false`);
    const korean = CASES.filter((c) => HANGUL.test(c.pred) || HANGUL.test(c.gold)).length;
    assert.ok(korean >= 40, `only ${korean} Korean cases`);
    assert.ok(CASES.length - korean >= 200);
  });
});

describe('every fixture case, in process', () => {
  for (const [i, c] of CASES.entries()) {
    const label = `#${i} ${c.kind}: ${JSON.stringify(c.pred.length > 50 ? c.pred.slice(0, 47) + '...' : c.pred)} vs ${JSON.stringify(c.gold.slice(0, 30))} → ${c.correct}`;
    it(label, () => {
      const v = verifyResponse(c.pred, c.gold);
      assert.equal(v.correct, c.correct, JSON.stringify(v));
      if (c.correct) assert.match(v.reason, /^equal_/);
    });
  }
});

describe('extraction priorities', () => {
  it('boxed beats phrases, phrases beat LaTeX math, math beats the last number', () => {
    assert.equal(extractAnswer('The answer is 3. Check: \\boxed{4} and $5$ then 6').answer, '4');
    assert.equal(extractAnswer('We get $5$. The answer is 3. Then 6 more').answer, '3');
    assert.equal(extractAnswer('We get $5$ and then 6 more').method, 'math');
    assert.equal(extractAnswer('We get five and then\n6 more').answer, '6');
  });
  it('the last align line and display math across lines; inline math stays on one line', () => {
    assert.equal(extractAnswer('\\begin{align*} a &= 1+1 \\\\ &= 2 \\end{align*}').answer, '2');
    assert.equal(extractAnswer('so\n\\[\n x = 4 \n\\]\nand that is it').answer, 'x = 4');
    assert.notEqual(extractAnswer('$ \n 9 \n $').method, 'math');
  });
  it('fallback none keeps to boxed and answer phrases', () => {
    assert.equal(extractAnswer('We get $5$', { fallback: 'none' }).answer, null);
    assert.equal(extractAnswer('We get $5$', { fallback: 'math' }).answer, '5');
  });
});

describe('exact scientific notation', () => {
  it('agrees with materialised BigInt arithmetic on random small exponents', () => {
    let seed = 99;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const value = (m: bigint, e: bigint): [bigint, bigint] => (e >= 0n ? [m * 10n ** e, 1n] : [m, 10n ** -e]);
    for (let k = 0; k < 300; k++) {
      const [ma, ea, mb, eb] = [BigInt(rnd(2000) - 1000), BigInt(rnd(40) - 20), BigInt(rnd(2000) - 1000), BigInt(rnd(40) - 20)];
      const a = { r: { num: ma, den: 1n }, e: ea };
      const b = { r: { num: mb, den: 1n }, e: eb };
      const [an, ad] = value(ma, ea);
      const [bn, bd] = value(mb, eb);
      assert.equal(S.equals(a, b), an * bd === bn * ad, `${ma}e${ea} vs ${mb}e${eb}`);
      const sum = S.add(a, b);
      assert.ok(sum !== null && sum !== S.TOO_BIG);
      const [sn, sd] = sum.e >= 0n ? [sum.r.num * 10n ** sum.e, sum.r.den] : [sum.r.num, sum.r.den * 10n ** -sum.e];
      assert.equal(sn * (ad * bd), (an * bd + bn * ad) * sd);
    }
  });
  it('never rounds a tiny number to zero, and decides huge exponents without materialising them', () => {
    const t0 = performance.now();
    assert.equal(verifyMath('\\boxed{10^{-99999999}}', '0').correct, false);
    assert.equal(verifyMath('\\boxed{10^{-99999999} \\cdot 10}', '10^{-99999998}').correct, true);
    assert.equal(verifyMath('\\boxed{(10^{-3})^{33333333}}', '10^{-99999999}').correct, true);
    assert.equal(verifyMath('\\boxed{10^{-99999999}}', '10^{-99999999}+10^{-99999999}').correct, false);
    assert.ok(performance.now() - t0 < 2000);
  });
});

describe('adversarial inputs stay fast (goal < 50 ms each; the bench measures it, this bound is generous)', () => {
  const K = 100_000;
  const hostile: [string, string][] = [
    ['$a '.repeat(K / 3), '1'],
    ['\\( '.repeat(K / 3), '1'],
    ['\\[ x '.repeat(K / 5), '1'],
    ['\\begin{align*} x &= 1 '.repeat(K / 22), '1'],
    ['$$ '.repeat(K / 3), '1'],
    ['1,'.repeat(K / 2), '1'],
    ['The answer is '.repeat(K / 14), '1'],
    ['따라서 '.repeat(K / 4), '1'],
    ['A1'.repeat(K / 2), '1'],
    [`$${'x = '.repeat(200)}1$`, '1'],
    [`\\boxed{${'\\begin{pmatrix}'.repeat(200)}1${'\\end{pmatrix}'.repeat(200)}}`, '1'],
    [`\\boxed{${Array.from({ length: 16 }, () => Array.from({ length: 16 }, (_, j) => `x^{${j}}`).join('&')).join('\\\\')}}`, '1'],
    ['\\boxed{10^{10^{10^{10}}}}', '10^{10^{10^{10}}}+1'],
    ['\\boxed{(1+10^{-99999999})^{99999999}}', '1'],
    [`$${'-x > '.repeat(300)}1$`, 'x < 1'],
  ];
  for (const [i, [pred, gold]] of hostile.entries()) {
    it(`#${i} (${pred.slice(0, 24)}…, ${pred.length} chars)`, () => {
      verifyResponse(pred, gold);
      const t0 = performance.now();
      const v = verifyResponse(pred, gold);
      const ms = performance.now() - t0;
      assert.equal(typeof v.correct, 'boolean');
      assert.ok(ms < 500, `${ms.toFixed(1)} ms`);
    });
  }
});

describe('saenggak reward math --input', () => {
  it('prints one verdict per line, in order, the same JSON as the single-case command', () => {
    const bin = resolve(import.meta.dirname, '../../../bin/saenggak.js');
    const r = spawnSync(process.execPath, [bin, 'reward', 'math', '--input', FIXTURE, '--json'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, CASES.length);
    lines.forEach((line, i) => {
      const v = verifyResponse(CASES[i].pred, CASES[i].gold);
      assert.deepEqual(JSON.parse(line), { correct: v.correct, extracted: v.extracted, pred: v.pred, gold: v.gold, reason: v.reason }, `line ${i + 1}`);
      assert.equal(JSON.parse(line).correct, CASES[i].correct, `line ${i + 1}`);
    });
    // The single-case form prints the same object as the matching line.
    const k = CASES.findIndex((c) => c.kind === 'think' && !c.correct);
    const single = spawnSync(process.execPath, [bin, 'reward', 'math', '--pred', CASES[k].pred, '--gold', CASES[k].gold, '--json'], { encoding: 'utf8' });
    assert.equal(single.status, 0, single.stderr);
    assert.equal(single.stdout.trimEnd(), lines[k]);
  });
  it('agrees with the composed reward on an unclosed <think> (no answer, accuracy 0)', async () => {
    const bin = resolve(import.meta.dirname, '../../../bin/saenggak.js');
    const response = '<think>생각해 보면 답은 7';
    const r = spawnSync(process.execPath, [bin, 'reward', 'math', '--pred', response, '--gold', '7', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { correct: false, extracted: null, pred: null, gold: '7', reason: 'unclosed_thinking' });
    const [composed] = await computeRewards([{ prompt: 'p', response, gold: '7' }], { accuracy: { weight: 1 } });
    assert.equal(composed.components.accuracy?.score, 0);
    // --answer-from all reads the whole response instead.
    const all = spawnSync(process.execPath, [bin, 'reward', 'math', '--pred', response, '--gold', '7', '--answer-from', 'all', '--json'], { encoding: 'utf8' });
    assert.equal(JSON.parse(all.stdout).correct, true);
  });
  it('rejects bad rows with their line numbers before printing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saenggak-math-cases-'));
    try {
      const file = join(dir, 'bad.jsonl');
      await writeFile(file, '{"pred": "1", "gold": "1"}\nnot json\n{"pred": 2, "gold": "2"}\n');
      const bin = resolve(import.meta.dirname, '../../../bin/saenggak.js');
      const r = spawnSync(process.execPath, [bin, 'reward', 'math', '--input', file, '--json'], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /line 2: not JSON/);
      assert.match(r.stderr, /line 3: "pred" and "gold" must be strings/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// verl's reward file scores through the reward server, which runs this verifier: the Python side must see
// exactly the fixture's verdicts.
const PYTHON_RUNNER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import saenggak_reward as sr
cases = json.load(open(sys.argv[2], encoding="utf-8"))
out = sr.compute_score_batch(["math"] * len(cases), [c["pred"] for c in cases], [c["gold"] for c in cases],
                             [{"language": "ko"} for c in cases], return_dict=True)
single = [sr.compute_score("math", c["pred"], c["gold"], {"language": "ko"}) for c in cases[:20]]
print(json.dumps({"batch": [r["accuracy"] for r in out], "single": single}))
`;

describe('saenggak_reward.py (verl) agrees with the TypeScript verifier', () => {
  let dir: string;
  let server: RunningRewardServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saenggak-math-verl-'));
    server = await startRewardServer({ config: { accuracy: { weight: 1 } }, token: 'math-cases-token', workers: 1 });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  it('on every fixture case, through python3 against a live server', async () => {
    await writeFile(join(dir, 'runner.py'), PYTHON_RUNNER);
    await writeFile(join(dir, 'cases.json'), JSON.stringify(CASES));
    const clientDir = resolve(import.meta.dirname, '../../../main/export/verl');
    const env = { ...process.env, SAENGGAK_REWARD_URL: server.origin, SAENGGAK_REWARD_TOKEN: server.token, SAENGGAK_REWARD_RETRIES: '2' };
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile('python3', [join(dir, 'runner.py'), clientDir, join(dir, 'cases.json')], { env, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) =>
        done({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
    assert.equal(run.code, 0, run.stderr);
    const { batch, single } = JSON.parse(run.stdout) as { batch: number[]; single: number[] };
    assert.equal(batch.length, CASES.length);
    CASES.forEach((c, i) => {
      const ts = verifyResponse(c.pred, c.gold).correct ? 1 : 0;
      assert.equal(batch[i], ts, `case ${i} (${c.kind}): python ${batch[i]}, TypeScript ${ts}`);
      assert.equal(batch[i], c.correct ? 1 : 0, `case ${i} (${c.kind})`);
    });
    single.forEach((score, i) => assert.equal(score, CASES[i].correct ? 1 : 0, `compute_score case ${i}`));
  });
});
