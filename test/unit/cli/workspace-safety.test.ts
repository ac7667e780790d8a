// #23 point 4, the CLI's careless-user cases: `train sft --workspace NEW_DIR` left a folder that could be
// neither opened nor initialised; `train rm` left a failed run folder (rm, rm-2, …) for every rejected
// input, and `--out` pointing at a file failed only after training, with a raw EEXIST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createModelFolder } from '../../../main/models/init.ts';
import { openWorkspace } from '../../../main/store/index.ts';

const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function withDir(fn: (dir: string, model: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-cli-safety-'));
  const model = join(dir, 'tiny');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: model, seed: 1 });
  try {
    await fn(dir, model);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('train sft --workspace NEW_DIR makes NEW_DIR a workspace that opens afterwards', async () => {
  await withDir(async (dir, model) => {
    await writeFile(join(dir, 'd.jsonl'), '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}\n');
    await writeFile(join(dir, 'sft.yaml'), `model: ${model}\ndata: { source: ${join(dir, 'd.jsonl')} }\nmaxSteps: 1\nevalSplit: 0\nprovider: cpu\n`);
    const ws = join(dir, 'new-ws');
    const result = await cli(['train', 'sft', '--workspace', ws, '--config', join(dir, 'sft.yaml')]);
    assert.equal(result.code, 0, result.stderr);
    const opened = await openWorkspace(ws);
    try {
      assert.ok((await opened.info()).createdAt);
    } finally {
      await opened.close();
    }
    // A non-empty folder that is not a workspace is refused before any training.
    const stray = join(dir, 'stray');
    await rm(stray, { recursive: true, force: true });
    await writeFile(join(dir, 'stray-file'), 'x');
    const refused = await cli(['train', 'sft', '--workspace', dir, '--config', join(dir, 'sft.yaml')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not empty and is not a workspace/);
    assert.equal(existsSync(join(dir, 'runs')), false, 'nothing was written into it');
  });
});

test('train rm: rejected inputs leave no run folders; --out on a file fails before training with a clear message', async () => {
  await withDir(async (dir, model) => {
    const ws = join(dir, 'ws');
    for (let i = 0; i < 2; i++) {
      const result = await cli(['train', 'rm', '--model', model, '--data', join(dir, 'missing.jsonl'), '--out', join(dir, 'rm-out'), '--workspace', ws]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /missing\.jsonl is not a file/);
    }
    assert.deepEqual(readdirSync(join(ws, 'runs')), [], 'no rm, rm-2 left behind');

    await writeFile(join(dir, 'pairs.jsonl'), '{"prompt":"a","chosen":"b","rejected":"c"}\n');
    await writeFile(join(dir, 'a-file'), 'not a folder');
    for (const out of [join(dir, 'a-file'), join(dir, 'a-file', 'inside')]) {
      const result = await cli(['train', 'rm', '--model', model, '--data', join(dir, 'pairs.jsonl'), '--out', out, '--workspace', ws, '--max-steps', '1']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^saenggak: --out .*(is a file: give a folder|is a file, not a folder)/m);
      assert.doesNotMatch(result.stderr, /EEXIST|ENOTDIR|step 1\//, 'it failed before training, without a raw error');
    }
    assert.deepEqual(readdirSync(join(ws, 'runs')), []);
  });
});
