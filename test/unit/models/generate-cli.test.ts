// `saenggak generate` (main/cli/generate.ts) end to end on a tiny random Qwen2 folder with the bundled
// Qwen tokenizer: JSON output equals the library's greedy generation; text prompts with --chat; errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createModelFolder } from '../../../main/models/init.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { generate } from '../../../main/models/generate.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);
const entry = join(import.meta.dirname, '..', '..', '..', 'main', 'cli', 'generate.ts');
// main/cli.ts wires registerGenerateCommand; until then the test mounts it on a bare program.
const script = `import { Command } from 'commander'; const { registerGenerateCommand } = await import(${JSON.stringify(entry)}); const p = new Command(); registerGenerateCommand(p); await p.parseAsync(process.argv.slice(1), { from: 'user' });`;
const saenggak = (...args: string[]) => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], { maxBuffer: 64 << 20, cwd: join(import.meta.dirname, '..', '..', '..') });

test('saenggak generate: --input-ids batch as JSON equals the library; --prompt --chat streams text', async () => {
  const dir = join(tempDir(), 'tiny-qwen2');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: dir, seed: 4 });
  const out = JSON.parse((await saenggak('generate', '--model', dir, '--input-ids', '9707,1879;40', '--max-new-tokens', '5', '--json')).stdout);
  const { config, weights } = loadModel(dir);
  const session = await DecoderSession.create(config, weights, { kvCache: true });
  const expected = await generate(session, [[9707, 1879], [40]], { maxNewTokens: 5, stopTokenIds: config.eosTokenIds });
  await session.release();
  assert.deepEqual(out.prompts, [[9707, 1879], [40]]);
  assert.deepEqual(out.sequences.map((s: { tokens: number[] }) => s.tokens), expected.map((s) => s.tokens));
  // Start-up and memory fields (issue #30).
  assert.ok(out.loadSeconds > 0 && out.loadSeconds < 60, `loadSeconds ${out.loadSeconds}`);
  assert.ok(out.timeToFirstTokenSeconds > 0 && out.timeToFirstTokenSeconds <= out.seconds, `timeToFirstTokenSeconds ${out.timeToFirstTokenSeconds} within ${out.seconds}`);
  assert.ok(Number.isSafeInteger(out.peakRssBytes) && out.peakRssBytes > 20 * 2 ** 20, `peakRssBytes ${out.peakRssBytes}`);

  const sampled = JSON.parse((await saenggak('generate', '--model', dir, '--prompt', 'hello', '--chat', '--max-new-tokens', '3', '--temperature', '0.8', '--top-p', '0.9', '--seed', '5', '--n', '2', '--json')).stdout);
  const chat = Tokenizer.load(dir).encodeChat([{ role: 'user', content: 'hello' }], { addGenerationPrompt: true });
  assert.deepEqual(sampled.prompts, [chat]);
  assert.equal(sampled.sequences.length, 2);
  const text = (await saenggak('generate', '--model', dir, '--prompt', 'hi', '--max-new-tokens', '3')).stdout;
  assert.ok(text.endsWith('\n'));

  await assert.rejects(saenggak('generate', '--model', dir, '--input-ids', '1,2', '--top-p', '2'), (e: { stderr: string }) => /--top-p must be in \(0, 1\]/.test(e.stderr));
  await assert.rejects(saenggak('generate', '--model', dir), (e: { stderr: string }) => /pass --prompt or --input-ids/.test(e.stderr));
});

test('saenggak generate --json: traffic from the engine counter, ≤ 1 KiB per generated token per row beyond prompt and output ids (the default loop); --decode per-token: same tokens, the KV cache on the record', async () => {
  const dir = join(tempDir(), 'tiny-qwen2');
  createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: dir, seed: 6 });
  const prompts = [[9707, 1879, 11, 12], [40]];
  const args = ['generate', '--model', dir, '--input-ids', prompts.map((p) => p.join(',')).join(';'), '--max-new-tokens', '8', '--temperature', '0.9', '--seed', '3', '--n', '2', '--json'];
  const loop = await saenggak(...args);
  const perToken = await saenggak(...args, '--decode', 'per-token');
  const a = JSON.parse(loop.stdout);
  const b = JSON.parse(perToken.stdout);
  assert.match(loop.stderr, /generation: decode loop .* on cpu/);
  assert.match(perToken.stderr, /generation: per-token path \(requested\)/);
  assert.equal(a.decodePath, 'loop');
  assert.equal(b.decodePath, 'per-token');
  assert.deepEqual(a.sequences.map((s: { tokens: number[] }) => s.tokens), b.sequences.map((s: { tokens: number[] }) => s.tokens));
  const rows = prompts.length * 2;
  const L = Math.max(...prompts.map((p) => p.length));
  const generated = a.generatedTokens as number;
  assert.ok(generated >= rows, `${generated} tokens`);
  // Prompt ids (ids, mask, positions: int64 [rows, L]) and output ids (int64 per generated token per row).
  const ids = 3 * rows * L * 8 + rows * 8 * 8;
  for (const [name, r] of [['loop', a], ['per-token', b]] as const) {
    assert.ok(Number.isSafeInteger(r.traffic.hostToDevice) && Number.isSafeInteger(r.traffic.deviceToHost) && r.traffic.hostToDevice > 0 && r.traffic.deviceToHost > 0, `${name} ${JSON.stringify(r.traffic)}`);
  }
  const beyond = (r: { traffic: { hostToDevice: number; deviceToHost: number } }) => r.traffic.hostToDevice + r.traffic.deviceToHost - ids;
  assert.ok(beyond(a) <= 1024 * generated, `loop: ${beyond(a)} B beyond prompt and output ids for ${generated} tokens`);
  assert.ok(beyond(b) > 1024 * generated, `per-token: ${beyond(b)} B (the cache both ways every token) — the goal separates the paths`);
  await assert.rejects(saenggak('generate', '--model', dir, '--input-ids', '1,2', '--decode', 'fast'), (e: { stderr: string }) => /--decode must be loop or per-token/.test(e.stderr));
});
