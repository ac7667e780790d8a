// runs.export: a finished run's output becomes a GGUF (and a Modelfile for Ollama) through a real `export`
// job process, with byte progress; a run without output is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { MethodInput, MethodName, MethodOutput, Result } from '../../../main/api/contract.ts';
import { GGUFFile } from '../../../main/export/gguf/gguf-reader.ts';
import { createModelFolder } from '../../../main/models/init.ts';
import { RunFolder } from '../../../main/train/run/index.ts';

type Caller = <M extends MethodName>(method: M, input: MethodInput<M> | Record<string, unknown>) => Promise<Result<MethodOutput<M>>>;

function value<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

test('runs.export starts an export job that writes runs/<name>/export/ollama-q8_0/{model.gguf, Modelfile} with progress', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-export-'));
  const session = new AppSession({});
  const call: Caller = (method, input) => dispatch(method, input, { transport: 'http', session }, handlers) as never;
  try {
    const root = join(dir, 'ws');
    value(await call('workspace.open', { path: root, create: true }));
    const folder = RunFolder.inWorkspace(root, 'demo');
    await folder.create({ name: 'demo', kind: 'sft', config: { model: 'x' } });
    const refused = await call('runs.export', { name: 'demo', format: 'gguf', quant: 'q8_0' });
    assert.equal(refused.ok, false);
    assert.match((refused as { error: { message: string } }).error.message, /no final output/);

    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: folder.outputDir, seed: 2 });
    await folder.update({ status: 'finished', output: folder.outputDir });
    const started = value(await call('runs.export', { name: 'demo', format: 'ollama', quant: 'q8_0' }));
    assert.deepEqual(started.files, [join(folder.dir, 'export', 'ollama-q8_0', 'model.gguf'), join(folder.dir, 'export', 'ollama-q8_0', 'Modelfile')]);
    let job = value(await call('jobs.get', { id: started.jobId }));
    const end = Date.now() + 240_000;
    while (job.status !== 'succeeded' && job.status !== 'failed' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      job = value(await call('jobs.get', { id: started.jobId }));
    }
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    const f = GGUFFile.open(started.files[0]);
    try {
      assert.equal(f.value('general.name'), 'demo');
      assert.equal(f.header.fileSize, job.progress?.total, 'progress counts the bytes of the file');
      assert.equal(job.progress?.done, job.progress?.total);
    } finally {
      f.close();
    }
    assert.match(readFileSync(started.files[1], 'utf8'), /^FROM \.\/model\.gguf$/m);
    assert.ok(existsSync(started.files[1]));
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
});
