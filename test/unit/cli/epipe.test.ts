// `saenggak … --json | head` (#25.7): the reader closing the pipe early made the next write fail with
// EPIPE, an unhandled 'error' event: a stack trace and exit code 1. Now the CLI stops quietly with 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../../main/models/weights.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

test('--json output piped into a reader that stops early (like head) ends with code 0 and no EPIPE trace', async () => {
  // A vocabulary of 60,000 makes `model logits --json` print about a megabyte: far more than a pipe holds.
  const dir = join(mkdtempSync(join(tmpdir(), 'epipe-')), 'model');
  const config = tinyConfig('qwen2', { vocabSize: 60000 });
  saveModel(dir, { config, weights: randomWeights(config, 1), generationConfig: null });
  const child = spawn(process.execPath, [bin, 'model', 'logits', '--model', dir, '--input-ids', '1,2,3', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let received = 0;
  // Read the first chunk, then close our end, as `head -c 10` does.
  child.stdout.once('data', (c: Buffer) => {
    received = c.length;
    child.stdout.destroy();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.ok(received > 0, 'output started before the pipe closed');
  assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error' event/);
  assert.equal(code, 0);
});
