// The one duplicate check (data/import/duplicate.ts) as both front doors use it: the app's datasets.import
// (through the real router and session) and `saenggak data import` (the real commander program, in this
// process) find the same earlier import of the same bytes under another name and say it the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { openWorkspace } from '../../../main/store/index.ts';
import { importDataset } from '../../../main/data/import/index.ts';
import { checkDuplicateImport, describeDuplicate } from '../../../main/data/import/duplicate.ts';
import { registerDataCommands } from '../../../main/cli/data.ts';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';

/** Runs `saenggak ARGS` in this process, capturing stdout, stderr and the exit code cliAction sets. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerDataCommands(program);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  const before = process.exitCode;
  process.exitCode = 0;
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'saenggak', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { code, stdout, stderr };
}

test('checkDuplicateImport: same bytes under another name are found; each policy gives its action', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-dup-'));
  try {
    const ws = await openWorkspace(join(dir, 'ws'), { create: true });
    const first = join(dir, 'first.jsonl');
    await writeFile(first, '{"q":"1+1","a":"2"}\n');
    const renamed = join(dir, 'renamed.jsonl');
    await copyFile(first, renamed);
    const other = join(dir, 'other.jsonl');
    await writeFile(other, '{"q":"2+2","a":"4"}\n');

    // Nothing imported yet: every policy imports.
    for (const policy of ['ask', 'fail', 'import', 'skip'] as const) {
      const check = await checkDuplicateImport(ws, first, policy);
      assert.deepEqual([check.duplicate, check.action], [null, 'import']);
    }
    const imported = await importDataset({ workspace: ws, dataset: 'prompts', path: first });
    const check = await checkDuplicateImport(ws, renamed, 'ask');
    // The hash is the import's own record of the file.
    assert.equal(check.sha256, imported.sha256);
    assert.equal(check.duplicate?.dataset, 'prompts');
    assert.equal(check.duplicate?.fileName, 'first.jsonl');
    const actions = await Promise.all((['ask', 'fail', 'import', 'skip'] as const).map(async (p) => (await checkDuplicateImport(ws, renamed, p)).action));
    assert.deepEqual(actions, ['refuse', 'refuse', 'import', 'skip']);
    // Different bytes are no duplicate.
    assert.equal((await checkDuplicateImport(ws, other, 'ask')).duplicate, null);
    assert.equal(describeDuplicate('x.jsonl', check.duplicate!), `x.jsonl was already imported into "prompts" on ${check.duplicate!.importedAt}`);
    await ws.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('both doors refuse and skip the same duplicate with the same sentence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-dup-doors-'));
  const session = new AppSession();
  try {
    const root = join(dir, 'ws');
    const file = join(dir, 'prompts.jsonl');
    await writeFile(file, '{"q":"1+1","a":"2"}\n{"q":"이차방정식","a":"x=1"}\n');
    const copy = join(dir, 'copy.jsonl');
    await copyFile(file, copy);
    await (await openWorkspace(root, { create: true })).close();

    const imported = await cli(['data', 'import', file, '--dataset', 'prompts', '--workspace', root, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).imported, 2);

    const ws = await openWorkspace(root);
    const earlier = (await checkDuplicateImport(ws, copy, 'ask')).duplicate!;
    await ws.close();

    // CLI: fail refuses, skip reports the earlier dataset and imports nothing.
    const failed = await cli(['data', 'import', copy, '--dataset', 'again', '--workspace', root, '--if-duplicate', 'fail']);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, `saenggak: ${describeDuplicate('this file', earlier)} (--if-duplicate fail)\n`);
    const skipped = await cli(['data', 'import', copy, '--dataset', 'again', '--workspace', root, '--if-duplicate', 'skip', '--json']);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.deepEqual(JSON.parse(skipped.stdout), { dataset: 'prompts', imported: 0, rejected: 0, errors: [], skipped: true, rows: 2 });

    // API: 'ask' refuses with the same earlier import, 'skip' starts no job.
    const call = (method: string, input: Record<string, unknown>) => dispatch(method as never, input as never, { transport: 'http', session }, handlers) as Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string; details: unknown } }>;
    assert.equal((await call('workspace.open', { path: root })).ok, true);
    const asked = await call('datasets.import', { dataset: 'again', source: { kind: 'path', path: copy } });
    assert.equal(asked.error?.code, 'duplicate');
    assert.equal(asked.error?.message, describeDuplicate('copy.jsonl', earlier));
    assert.deepEqual(asked.error?.details, { dataset: 'prompts', fileName: 'prompts.jsonl', importedAt: earlier.importedAt });
    assert.deepEqual((await call('datasets.import', { dataset: 'again', source: { kind: 'path', path: copy }, onDuplicate: 'skip' })).value, { jobId: null, dataset: 'prompts' });
    assert.deepEqual(((await call('datasets.list', {})).value as { name: string }[]).map((d) => d.name), ['prompts']);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
});
