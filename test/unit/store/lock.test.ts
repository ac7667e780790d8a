// #23 point 4: an empty or PID-reused registry.lock used to block every write for good ("could not take the
// workspace lock … within 15000 ms", no hint). Locks now name pid, start time, boot and host; stale ones are
// replaced, and a live one's error says who holds it and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentOwner, processStartTime, withFileLock } from '../../../main/store/lock.ts';
import { openWorkspace } from '../../../main/store/index.ts';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-lock-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the lock file names pid, start time, boot and host while held', async () => {
  await withDir(async (dir) => {
    const lock = join(dir, 'registry.lock');
    await withFileLock(lock, async () => {
      const owner = JSON.parse(await readFile(lock, 'utf8'));
      assert.equal(owner.pid, process.pid);
      assert.equal(owner.host, hostname());
      assert.equal(owner.start, processStartTime(process.pid));
      assert.match(owner.start, /^\d+$/, 'Linux gives a start time');
      assert.equal(owner.boot, currentOwner().boot);
    });
  });
});

test('an empty lock file left by a crash is replaced, and a workspace write goes through', async () => {
  await withDir(async (dir) => {
    const ws = await openWorkspace(join(dir, 'ws'), { create: true });
    try {
      const lock = join(dir, 'ws', 'registry.lock');
      await writeFile(lock, '');
      const old = Date.now() / 1000 - 60;
      await utimes(lock, old, old);
      const started = Date.now();
      // delete() is a registry read-modify-write under the lock.
      assert.equal(await ws.datasets.delete('nothing-here'), false);
      assert.ok(Date.now() - started < 5000, `no 15 s wait (${Date.now() - started} ms)`);
    } finally {
      await ws.close();
    }
  });
});

test('a lock naming a live pid that now belongs to another process (pid reused) is stale', async () => {
  await withDir(async (dir) => {
    const lock = join(dir, 'registry.lock');
    // Our own pid is alive, but the recorded start time is not ours: the pid was reused.
    await writeFile(lock, JSON.stringify({ ...currentOwner(), start: '1' }));
    await withFileLock(lock, async () => {}, { timeoutMs: 500 });
    // A dead pid (an older lock format: a bare pid) is stale too.
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.once('exit', r));
    await writeFile(lock, String(child.pid));
    await withFileLock(lock, async () => {}, { timeoutMs: 500 });
  });
});

test('a live owner blocks; the error names it and says what to do', async () => {
  await withDir(async (dir) => {
    const lock = join(dir, 'registry.lock');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await writeFile(lock, JSON.stringify({ pid: child.pid, start: processStartTime(child.pid!), boot: currentOwner().boot, host: hostname() }));
      await assert.rejects(withFileLock(lock, async () => {}, { timeoutMs: 300 }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'conflict');
        assert.match(error.message, new RegExp(`held by process ${child.pid} on this machine, which is still running`));
        assert.match(error.message, /wait for it to finish or stop it/);
        assert.match(error.message, /If none is running, delete .*registry\.lock/);
        return true;
      });
      // A lock from another host cannot be checked here: it is waited for, never broken.
      await writeFile(lock, JSON.stringify({ pid: 1, start: '5', boot: 'x', host: 'other-host.example' }));
      await assert.rejects(withFileLock(lock, async () => {}, { timeoutMs: 200 }), /held by process 1 on host other-host\.example/);
    } finally {
      child.kill();
    }
  });
});
