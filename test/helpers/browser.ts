// Browser tests drive Debian's Chromium (no browser download) through playwright-core against the real
// serve mode on a temporary workspace. Every page error, console error and CSP violation is recorded
// so a test can assert the UI ran cleanly under the server's policy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startServer } from '../../main/server.ts';
import { installFakeNvidiaSmi } from '../unit/devices/fake-nvidia-smi.ts';
import type { JobRecord, MethodInput, MethodName, MethodOutput, Result } from '../../main/api/contract.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Waits until the page shows what the app renders when it reports something (a job's progress message, a
 * stage's status change, a run finishing), for as long as that takes: background work on a loaded machine
 * takes what it takes, so there is no wall-clock limit here (#31: a 60 s wait for an ETA failed on a busy CI
 * machine). The test runner's per-test timeout is the backstop; `unless` ends the wait early, with a clear
 * failure, when the page shows that the awaited state will never come (the job failed or ended without it).
 */
export async function untilShown(locator: Locator, unless?: Locator | (() => Promise<string | null>)): Promise<void> {
  const shown = locator.waitFor({ timeout: 0 });
  if (!unless) return shown;
  let done = false;
  const ended =
    typeof unless === 'function'
      ? (async () => {
          // A check of the app's own state (a job's status), asked again until it says why to stop or the wait ends.
          for (;;) {
            const reason = await unless();
            if (done) return;
            if (reason) throw new Error(`${reason} before ${locator}`);
            await new Promise((r) => setTimeout(r, 250));
          }
        })()
      : unless.waitFor({ timeout: 0 }).then(async () => {
          throw new Error(`the page showed ${await unless.evaluate((e) => e.outerHTML.slice(0, 300)).catch(() => '(gone)')} before ${locator}`);
        });
  // The loser is abandoned; keep its rejection (page closed) from surfacing as unhandled.
  shown.catch(() => {});
  ended.catch(() => {});
  try {
    return await Promise.race([shown, ended]);
  } finally {
    done = true;
  }
}

/** Like untilShown, for a condition on the page's DOM (text of a status, a chart's point count). */
export async function untilTrue<A = undefined>(page: Page, condition: (arg: A) => boolean, arg?: A): Promise<void> {
  await page.waitForFunction(condition as (arg: unknown) => boolean, arg, { timeout: 0 });
}

export type AppUnderTest = {
  page: Page;
  context: BrowserContext;
  workspace: string;
  origin: string;
  /** Problems the page reported: uncaught errors, console errors, CSP violations, failed requests. */
  problems: string[];
  /** Calls the API directly (Bearer token), for setting up data the test is not about. */
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  /** Uploads bytes and imports them as a dataset, then waits for the import job to finish. */
  importBytes(dataset: string, fileName: string, bytes: Uint8Array<ArrayBuffer> | string): Promise<JobRecord>;
  /** Why the app's jobs will not finish (a failed job, with its kind and error), or null: for untilShown's `unless`. */
  failedJob(): Promise<string | null>;
  /** Stops serve mode while the page stays open (to see how the UI copes). */
  stopServer(): Promise<void>;
  close(): Promise<void>;
};

export type StartOptions = {
  locale?: 'en' | 'ko';
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  /**
   * Put a fake nvidia-smi (two GPUs, the real CSV format) first on PATH while the app runs: serve mode runs
   * in this process and starts nvidia-smi from PATH. PATH is restored and the fake removed on close().
   */
  fakeNvidiaSmi?: boolean;
};

/** Starts serve mode on a fresh workspace and opens its printed URL in a new browser context. */
export async function openApp(browser: Browser, options: StartOptions = {}): Promise<AppUnderTest> {
  // Serve mode reads and writes only inside allowed folders: the test's own temporary folder (the workspace,
  // and files a test puts beside it) is the one allowed folder.
  const base = await mkdtemp(join(tmpdir(), 'saenggak-e2e-'));
  const workspace = join(base, 'ws');
  const savedPath = process.env.PATH;
  const fakeSmiDir = options.fakeNvidiaSmi ? await installFakeNvidiaSmi() : null;
  if (fakeSmiDir) process.env.PATH = `${fakeSmiDir}:${savedPath}`;
  const server = await startServer({ workspace, port: 0, allowPaths: [base] });
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    locale: options.locale === 'ko' ? 'ko-KR' : 'en-US',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  // net::ERR_ABORTED is a request the page itself cancelled (a reload or navigation while a poll was in flight,
  // or the app's own AbortController), not a failure of the app; every other failed request is a problem.
  page.on('requestfailed', (req) => {
    const error = req.failure()?.errorText ?? '';
    if (error !== 'net::ERR_ABORTED') problems.push(`requestfailed: ${req.url()} ${error}`);
  });

  const auth = { authorization: `Bearer ${server.token}` };
  let stopped: Promise<void> | null = null;
  const stopServer = () => (stopped ??= server.close());

  async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const res = await fetch(`${server.origin}/api/call/${method}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const result = (await res.json()) as Result<MethodOutput<M>>;
    if (!result.ok) throw new Error(`${method} failed: ${result.error.code}: ${result.error.message}`);
    return result.value;
  }

  async function importBytes(dataset: string, fileName: string, bytes: Uint8Array<ArrayBuffer> | string): Promise<JobRecord> {
    const up = await fetch(`${server.origin}/api/upload?name=${encodeURIComponent(fileName)}`, {
      method: 'POST',
      headers: auth,
      body: bytes,
    });
    const uploaded = (await up.json()) as Result<{ kind: 'upload'; uploadId: string; fileName: string }>;
    if (!uploaded.ok) throw new Error(`upload failed: ${uploaded.error.message}`);
    const { jobId } = await call('datasets.import', { dataset, source: uploaded.value, onDuplicate: 'import' });
    if (!jobId) throw new Error('import started no job');
    for (;;) {
      const job = await call('jobs.get', { id: jobId });
      if (job.status !== 'queued' && job.status !== 'running') {
        if (job.status !== 'succeeded') throw new Error(`import job ${job.status}: ${job.error ?? ''}`);
        return job;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  if (options.locale) {
    // The UI remembers its language in localStorage; set it before the app's script first runs (only
    // then: a reload must keep what the user chose).
    await context.addInitScript((locale) => {
      // Init scripts run in every frame; a sandboxed one (the Recipe page's report frame) has no storage.
      if (window !== window.top) return;
      if (!localStorage.getItem('saenggak.locale')) localStorage.setItem('saenggak.locale', locale);
    }, options.locale);
  }
  await page.goto(server.url);

  return {
    page,
    context,
    workspace,
    origin: server.origin,
    problems,
    call,
    importBytes,
    failedJob: async () => {
      const failed = (await call('jobs.list', { limit: 50 })).find((j) => j.status === 'failed');
      return failed ? `job ${failed.kind} ${failed.id} failed: ${failed.error ?? ''}\nproblems: ${problems.join('; ')}` : null;
    },
    stopServer,
    close: async () => {
      await context.close();
      await stopServer();
      await rm(base, { recursive: true, force: true });
      if (fakeSmiDir) {
        process.env.PATH = savedPath;
        await rm(fakeSmiDir, { recursive: true, force: true });
      }
    },
  };
}
