// An upload survives the duplicate question: "import again" names the same upload id and works; the
// import job removes the upload once it has read it, and a 'skip' answer removes it at once. The job
// record carries the title's structured fields (kind + params) for the UI to translate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import { saveUpload } from '../../../main/api/uploads.ts';
import type { MethodInput, MethodName, MethodOutput, Result } from '../../../main/api/contract.ts';

test('an upload is kept through the duplicate question and removed once imported or skipped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-upload-'));
  const session = new AppSession();
  const call = <M extends MethodName>(method: M, input: MethodInput<M>) =>
    dispatch(method, input, { transport: 'http', session }, handlers) as Promise<Result<MethodOutput<M>>>;
  const upload = () => saveUpload(session, Readable.from([Buffer.from('{"q":"1+1","a":"2"}\n{"q":"2+2","a":"4"}\n')]), 'math.jsonl');
  try {
    await call('workspace.open', { path: join(dir, 'ws'), create: true });
    const uploads = await session.uploadsDir();

    const first = await call('datasets.import', { dataset: 'math', source: await upload() });
    assert.ok(first.ok && first.value.jobId);
    const job = await session.current!.jobs.wait(first.value.jobId!);
    assert.equal(job.status, 'succeeded', job.error);
    assert.equal(job.kind, 'import');
    assert.deepEqual(job.params, { dataset: 'math', fileName: 'math.jsonl' });
    assert.deepEqual(await readdir(uploads), [], 'the job removed the upload it read');

    // Same bytes again: the duplicate question leaves the upload in place ...
    const second = await upload();
    const asked = await call('datasets.import', { dataset: 'copy', source: second });
    assert.equal(!asked.ok && asked.error.code, 'duplicate');
    assert.deepEqual(await readdir(uploads), [second.uploadId]);
    // ... so "import again" reuses its id.
    const again = await call('datasets.import', { dataset: 'copy', source: second, onDuplicate: 'import' });
    assert.ok(again.ok && again.value.jobId, JSON.stringify(again));
    assert.equal((await session.current!.jobs.wait(again.value.jobId!)).status, 'succeeded');
    assert.equal((await call('datasets.get', { name: 'copy' })).ok && true, true);
    assert.deepEqual(await readdir(uploads), []);

    // 'skip' imports nothing, so nothing will read the upload: it goes at once.
    const third = await upload();
    const skipped = await call('datasets.import', { dataset: 'other', source: third, onDuplicate: 'skip' });
    assert.ok(skipped.ok && skipped.value.jobId === null && ['math', 'copy'].includes(skipped.value.dataset), JSON.stringify(skipped));
    assert.deepEqual(await readdir(uploads), []);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
});
