// Hand labeling through serve mode in Chromium: five pairs labeled with the keyboard, one undone, the page
// reloaded: exactly four labels remain, each with the screen order that was really shown. Then serve mode
// as a child process, killed with SIGKILL between labels: every acknowledged label is still there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';
import { openWorkspace } from '../../main/store/index.ts';
import { writePreferenceSet } from '../../main/pairs/set-store.ts';
import { pairId } from '../../main/pairs/sets.ts';
import type { PreferencePair } from '../../main/pairs/types.ts';
import type { PairLabel, Result } from '../../main/api/contract.ts';

const SET = 'ko-bvw';

function fixturePairs(count: number): PreferencePair[] {
  const categories = ['general', 'safety', 'reasoning'];
  return Array.from({ length: count }, (_, i) => {
    const promptId = `p${i}`;
    const chosenId = `${promptId}/good/0`;
    const rejectedId = `${promptId}/bad/0`;
    return {
      pair_id: pairId(promptId, chosenId, rejectedId),
      prompt_id: promptId,
      prompt: `질문 ${i}: **굵게** 그리고 $x^2$`,
      chosen: `<think>\n좋은 모델의 생각 ${i}\n</think>\n\nCHOSEN-${i} 답변 with \`code\` and $$\\frac{1}{2}$$`,
      rejected: `REJECTED-${i} 답변 <img src=x onerror="window.__xss=1"> <script>window.__xss=1</script>`,
      margin: 1 + i / 10,
      category: categories[i % 3],
      lang: 'ko',
      chosen_model: 'good',
      rejected_model: 'bad',
      chosen_id: chosenId,
      rejected_id: rejectedId,
      scores: { rm: [2 + i, -1] },
      provenance: { collection: 'fixture', construction: 'best_vs_worst', options: { min_margin: 0.5 }, scorers: ['rm'], built_at: '2026-01-01T00:00:00.000Z' },
    };
  });
}

async function writeFixture(workspaceDir: string, count: number, create = false): Promise<PreferencePair[]> {
  const ws = await openWorkspace(workspaceDir, { create });
  try {
    const pairs = fixturePairs(count);
    await writePreferenceSet(ws, SET, pairs, { collection: 'fixture', construction: 'best_vs_worst', options: { min_margin: 0.5 }, scorers: ['rm'], builtAt: '2026-01-01T00:00:00.000Z' });
    return pairs;
  } finally {
    await ws.close();
  }
}

/** Which of the pair's responses is shown first, read from the page. */
async function shownOrder(page: Page): Promise<['chosen', 'rejected'] | ['rejected', 'chosen']> {
  const first = await page.getByTestId('pairs-first').innerText();
  if (first.includes('CHOSEN-')) return ['chosen', 'rejected'];
  assert.match(first, /REJECTED-/);
  return ['rejected', 'chosen'];
}

async function startLabeling(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-pairs').click();
  await page.getByTestId('pairs-labeler-name').fill(name);
  await page.getByTestId('pairs-labeler-name').press('Enter');
  await page.getByTestId('pairs-current').waitFor();
}

/** Presses a key and waits until the back end has acknowledged a new label (the "Saved" badge changes). */
async function labelWithKey(page: Page, key: string): Promise<void> {
  const before = await page.getByTestId('pairs-saved').getAttribute('data-label-id').catch(() => null);
  const pairBefore = await page.getByTestId('pairs-current').getAttribute('data-pair-id');
  await page.keyboard.press(key);
  await page.waitForFunction(
    ([old, pair]) => {
      const saved = document.querySelector('[data-testid="pairs-saved"]')?.getAttribute('data-label-id');
      const current = document.querySelector('[data-testid="pairs-current"]')?.getAttribute('data-pair-id') ?? null;
      return saved && saved !== old && current !== pair;
    },
    [before, pairBefore],
  );
}

describe('pairs labeling (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let fixture: PreferencePair[];

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    fixture = await writeFixture(app.workspace, 6);
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('labels five pairs with the keyboard, undoes one, and keeps exactly four with the order shown', async () => {
    const { page } = app;
    await startLabeling(page, 'ann');
    const keys = ['1', '2', '3', '4', '1'];
    const expected: { pairId: string; choice: string; shownOrder: string[] }[] = [];
    const choices: Record<string, string> = { '1': 'first', '2': 'second', '3': 'tie', '4': 'both_bad' };
    for (const key of keys) {
      const id = (await page.getByTestId('pairs-current').getAttribute('data-pair-id'))!;
      expected.push({ pairId: id, choice: choices[key], shownOrder: await shownOrder(page) });
      await labelWithKey(page, key);
    }
    // Undo takes back the fifth label and shows that pair again.
    await page.keyboard.press('u');
    await page.waitForFunction((id) => document.querySelector('[data-testid="pairs-current"]')?.getAttribute('data-pair-id') === id, expected[4].pairId);
    await page.getByTestId('pairs-progress').filter({ hasText: '4 of 6 labeled' }).waitFor();

    await page.reload();
    await page.getByTestId('nav-pairs').click();
    // The labeler's name is remembered: no question this time.
    await page.getByTestId('pairs-labeler').filter({ hasText: 'Labeling as ann' }).waitFor();
    await page.getByTestId('pairs-progress').filter({ hasText: '4 of 6 labeled' }).waitFor();

    const labels = await app.call('pairs.labels', { set: SET, labeler: 'ann' });
    assert.equal(labels.length, 4);
    const byPair = new Map(labels.map((l) => [l.pairId, l]));
    for (const want of expected.slice(0, 4)) {
      const got = byPair.get(want.pairId);
      assert.ok(got, `label of ${want.pairId}`);
      assert.equal(got.choice, want.choice);
      assert.deepEqual(got.shownOrder, want.shownOrder);
      assert.equal(got.labeler, 'ann');
    }
    assert.ok(!byPair.has(expected[4].pairId), 'the undone label is gone');
    // The first label was "1" = the first response shown: its preference follows the recorded order.
    const agreement = await app.call('pairs.agreement', { set: SET });
    const annAll = agreement.humanVsScorer.find((r) => r.a === 'ann' && r.category === 'all')!;
    const decisive = expected.slice(0, 4).filter((e) => e.choice === 'first' || e.choice === 'second');
    const agreeing = decisive.filter((e) => (e.choice === 'first' ? e.shownOrder[0] : e.shownOrder[1]) === 'chosen').length;
    assert.equal(annAll.n, decisive.length);
    assert.equal(annAll.agreement, agreeing / decisive.length);

    // After the reload every labeled pair is shown in the order it was labeled in, so the badge
    // ("Your label: response 1") points at the response the labeler chose (the sides were reshuffled before).
    await page.getByTestId('pairs-filter').selectOption('labeled');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const current = page.getByTestId('pairs-current');
      // Wait for the filtered queue's next labeled pair (the filter applies after a fetch).
      await page.waitForFunction(
        ([labeled, done]) => {
          const id = document.querySelector('[data-testid="pairs-current"]')?.getAttribute('data-pair-id');
          return !!id && labeled.includes(id) && !done.includes(id);
        },
        [[...byPair.keys()], [...seen]],
      );
      const id = (await current.getAttribute('data-pair-id'))!;
      seen.add(id);
      const label = byPair.get(id)!;
      assert.deepEqual(await shownOrder(page), label.shownOrder, `pair ${id} is shown as it was labeled`);
      await page.getByTestId('pairs-current-label').filter({ hasText: `Your label: ${({ first: 'response 1', second: 'response 2', tie: 'tie', both_bad: 'both bad', skip: 'skipped' } as Record<string, string>)[label.choice]}` }).waitFor();
      if (i < 3) await page.getByRole('button', { name: 'Next' }).click();
    }
  });

  it('renders markdown, math and collapsible thinking, and never the responses’ HTML', async () => {
    const { page } = app;
    await page.getByTestId('pairs-filter').selectOption('all');
    const current = page.getByTestId('pairs-current');
    await current.waitFor();
    assert.equal(await page.locator('[data-testid="pairs-prompt"] strong').innerText(), '굵게');
    // Math is typeset as MathML (x with superscript 2), its LaTeX kept as the title.
    assert.equal(await page.locator('[data-testid="pairs-prompt"] .math math msup').count(), 1);
    assert.equal(await page.locator('[data-testid="pairs-prompt"] .math msup mn').textContent(), '2');
    assert.equal(await page.locator('[data-testid="pairs-prompt"] .math').getAttribute('title'), 'x^2');
    const chosenSide = (await shownOrder(page))[0] === 'chosen' ? 'pairs-first' : 'pairs-second';
    const thinking = page.getByTestId(chosenSide).locator('details');
    assert.equal(await thinking.getAttribute('open'), null, 'thinking starts folded');
    await thinking.locator('summary').click();
    await page.getByTestId(`${chosenSide}-thinking`).filter({ hasText: '좋은 모델의 생각' }).waitFor();
    assert.equal(await current.locator('img').count(), 0);
    assert.equal(await current.locator('script').count(), 0);
    assert.match(await current.innerText(), /<img src=x onerror=/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null), null);
    // Help opens with ? and closes again.
    await page.keyboard.press('?');
    await page.getByTestId('pairs-help').waitFor();
    await page.keyboard.press('?');
    await page.getByTestId('pairs-help').waitFor({ state: 'detached' });
  });

  it('shows sets and agreement on the Sets tab', async () => {
    const { page } = app;
    await page.getByTestId('pairs-tab-sets').click();
    await page.getByTestId('pairs-sets-table').filter({ hasText: SET }).waitFor();
    await page.getByTestId('pairs-agreement').filter({ hasText: 'ann' }).waitFor();
    assert.deepEqual(app.problems, []);
    assert.equal(fixture.length, 6);
  });
});

type ChildServer = { child: ChildProcess; origin: string; token: string };

async function startChildServer(workspace: string): Promise<ChildServer> {
  const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'saenggak.js');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--workspace', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolveServer, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /(http:\/\/[^\s/]+)\/#token=([0-9a-f]+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        resolveServer({ child, origin: match[1], token: match[2] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening:\n${output}`)));
  });
}

async function call<T>(server: ChildServer, method: string, input: unknown): Promise<T> {
  const res = await fetch(`${server.origin}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const result = (await res.json()) as Result<T>;
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`);
  return result.value;
}

function killHard(server: ChildServer): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.kill('SIGKILL');
  });
}

describe('pairs labels survive SIGKILL of serve mode', () => {
  let dir: string;
  let server: ChildServer | null = null;
  let browser: Browser;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pairs-kill-'));
    await writeFixture(join(dir, 'ws'), 30, true);
    browser = await launchChromium();
  });

  after(async () => {
    if (server) await killHard(server);
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged label, from the page or from two labelers at once', async () => {
    const workspace = join(dir, 'ws');
    server = await startChildServer(workspace);
    // One label through the page, acknowledged as "Saved".
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.origin}/#token=${server.token}`);
    await startLabeling(page, 'ann');
    const pagePair = (await page.getByTestId('pairs-current').getAttribute('data-pair-id'))!;
    await labelWithKey(page, '1');
    await context.close();

    // Two labelers label concurrently; the server is killed while requests are in flight.
    const pairs = fixturePairs(30);
    const acknowledged: PairLabel[] = [];
    let stop = false;
    const labeler = async (name: string, offset: number) => {
      for (let i = offset; !stop && i < pairs.length; i++) {
        try {
          acknowledged.push(await call<PairLabel>(server!, 'pairs.label', { set: SET, pairId: pairs[i].pair_id, labeler: name, choice: i % 2 ? 'first' : 'second', shownOrder: ['chosen', 'rejected'] }));
        } catch {
          return; // the server died mid-request: that label was never acknowledged
        }
      }
    };
    const running = Promise.all([labeler('bob', 1), labeler('cho', 0)]);
    const settled = running.then(() => 'done');
    while (acknowledged.length < 8) {
      // Both labelers stopping before 8 acknowledgements means the server failed them: let the test say so.
      if ((await Promise.race([settled, new Promise((r) => setTimeout(r, 5, 'wait'))])) === 'done') assert.fail(`labelers stopped after ${acknowledged.length} labels`);
    }
    await killHard(server);
    stop = true;
    await running;
    const acked = [...acknowledged];

    server = await startChildServer(workspace);
    const after = await call<PairLabel[]>(server, 'pairs.labels', { set: SET });
    const ids = new Set(after.map((l) => l.id));
    for (const label of acked) assert.ok(ids.has(label.id), `acknowledged label ${label.id} (${label.labeler}) survived`);
    assert.ok(after.some((l) => l.labeler === 'ann' && l.pairId === pagePair), 'the label saved from the page survived');
    // Each labeler's labels are their own: bob's and cho's labels of the same pair coexist.
    const bob = new Set(after.filter((l) => l.labeler === 'bob').map((l) => l.pairId));
    const cho = new Set(after.filter((l) => l.labeler === 'cho').map((l) => l.pairId));
    assert.ok([...bob].some((p) => cho.has(p)), 'some pair has labels from both bob and cho');
    await killHard(server);
  });
});
