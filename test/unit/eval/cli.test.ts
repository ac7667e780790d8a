// `saenggak eval ... --json`: the summary is the last stdout line, progress goes to stderr, the rows are in
// the workspace's evals/ folder, and bad input fails with a message.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { openWorkspace, workspacePaths } from '../../../main/store/index.ts';
import { FIXTURE_PROBLEMS, makeTinyModel, writeBenchmark } from './helpers.ts';

const bin = fileURLToPath(new URL('../../../bin/saenggak.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eval-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'eval', ...args], { encoding: 'utf8', env: { ...process.env, SAENGGAK_WORKSPACE: '' } });

test('saenggak eval --json prints the summary as the last stdout line', async () => {
  const model = makeTinyModel(join(dir, 'tiny'));
  const bench = writeBenchmark(join(dir, 'mini.jsonl'), FIXTURE_PROBLEMS.slice(0, 3));
  const ws = join(dir, 'ws');
  await (await openWorkspace(ws, { create: true })).close();
  const r = cli('--model', model, '--benchmark', bench, '--workspace', ws, '--k', '2', '--temperature', '1', '--top-p', '1', '--max-new-tokens', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]);
  assert.equal(summary.name, 'tiny--mini');
  assert.equal(summary.n, 3);
  assert.equal(summary.k, 2);
  assert.match(r.stderr, /tiny--mini: 6\/6 samples \(100%\)/);
  const stored = readFileSync(join(workspacePaths(ws).evals, 'tiny--mini', 'samples.jsonl'), 'utf8').trim().split('\n');
  assert.equal(stored.length, 6);
  // traffic (#20): the decode loop's run per batch (a sampled batch is one problem's k rows) returns
  // int64 [rows, steps] token ids, steps = the batch's longest response — nothing else comes back
  // (the per-token path would fetch the KV cache every token).
  const rows = stored.map((l) => JSON.parse(l) as { problemId: string; responseTokens: number });
  const longest = new Map<string, number>();
  for (const r of rows) longest.set(r.problemId, Math.max(longest.get(r.problemId) ?? 0, r.responseTokens));
  assert.equal(summary.traffic.deviceToHost, [...longest.values()].reduce((s, n) => s + 2 * n * 8, 0));
  assert.ok(Number.isSafeInteger(summary.traffic.hostToDevice) && summary.traffic.hostToDevice > 0);
});

test('saenggak eval explains missing or bad options', () => {
  assert.match(cli('--benchmark', 'x').stderr, /pass --model DIR and --benchmark NAME/);
  // A model that exists (--model is resolved first: a folder or a Hub id in the local cache).
  const model = makeTinyModel(join(dir, 'tiny-options'));
  assert.match(cli('--model', model, '--benchmark', 'x').stderr, /no workspace/);
  assert.match(cli('--model', model, '--benchmark', 'x', '--k', '0').stderr, /--k must be a positive integer/);
  assert.match(cli('--model', 'not-a-folder', '--benchmark', 'x').stderr, /neither a folder nor in the Hugging Face cache/);
});
