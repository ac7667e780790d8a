// #31: the README's serve instruction works on a fresh install. A copy of the package as a clone has it
// (sources, no dist/, dependencies installed) runs `saenggak serve`, which must build the UI with a progress
// line and serve it; the page then takes its token from the printed URL's fragment and shows the workspace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';

const root = resolve(import.meta.dirname, '..', '..');

/** The package as `git clone && npm install` leaves it: sources and node_modules, nothing built. */
async function freshClone(dir: string): Promise<string> {
  const clone = join(dir, 'clone');
  for (const path of ['bin', 'main', 'renderer', 'assets', 'package.json', 'vite.config.ts', 'tsconfig.json']) {
    await cp(join(root, path), join(clone, path), { recursive: true });
  }
  await symlink(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  return clone;
}

type Served = { child: ChildProcess; url: string; output: () => string };

function serve(clone: string, workspace: string): Promise<Served> {
  const child = spawn(process.execPath, [join(clone, 'bin', 'saenggak.js'), 'serve', '--port', '0', '--workspace', workspace], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}/.exec(output);
      if (match) done({ child, url: match[0], output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`serve exited with ${code} before printing its URL:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

describe('saenggak serve on a fresh clone (no dist/)', () => {
  let dir: string;
  let browser: Browser;
  let served: Served | null = null;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saenggak-fresh-'));
    browser = await launchChromium();
  });

  after(async () => {
    if (served) await stop(served.child);
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the UI with a progress line, serves it, and the page works from the printed URL', async () => {
    const clone = await freshClone(dir);
    assert.equal(existsSync(join(clone, 'dist')), false);
    served = await serve(clone, join(dir, 'ws'));
    assert.match(served.output(), /Building the UI \(dist\/renderer is missing\)…/);
    assert.match(served.output(), /Built the UI in \d+\.\d s\./);
    assert.ok(existsSync(join(clone, 'dist', 'renderer', 'index.html')));

    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
    await page.goto(served.url);
    // The page read the token and dropped it from the address bar; its calls and event socket work.
    // (The sidebar's workspace button carries the open workspace's path, which came over the API.)
    const workspaceButton = page.locator(`button.workspace[title="${join(dir, 'ws')}"]`);
    await workspaceButton.waitFor();
    assert.equal(new URL(page.url()).hash.includes('token'), false, 'the token left the address bar');
    assert.equal((await context.cookies()).length, 0, 'no cookie carries anything');
    // The Workspace page lists the folders this server may read and write (#23: serve mode is scoped).
    await workspaceButton.click();
    await page.getByTestId('allowed-paths').getByText(join(dir, 'ws'), { exact: true }).waitFor();
    // A reload keeps the session (sessionStorage), still without the token in the URL.
    await page.reload();
    await workspaceButton.waitFor();
    assert.deepEqual(problems, []);
    await context.close();
    await stop(served.child);

    // A second start finds the build fresh and does not rebuild.
    served = await serve(clone, join(dir, 'ws'));
    assert.doesNotMatch(served.output(), /Building the UI/);
  });
});
