// npx tsx bench/scale-proof.ts --model DIR [--layers 4] [--new-tokens 8]   (run under flock /tmp/bigmem.lock)
//
// Issue #19's proof on a real-shape checkpoint (e.g. `saenggak model init --preset qwen2.5-1.5b --dtype BF16`):
//   1. `saenggak generate --max-new-tokens N --temperature 0 --json` on the whole model (new path: weights
//      mapped from the shards, bf16 cast at load) — it must work, and its loadSeconds / peakRssBytes are kept;
//   2. a layer-truncated copy (first L layers) in bf16 through the same new path, and in float32 through the
//      old path (every weight inline in one protobuf, float32 in JS memory, full recompute, argmax in JS):
//      the greedy tokens must be equal.
// Writes bench/results/scale-proof.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeResult } from './lib/results.ts';

const root = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({ options: { model: { type: 'string' }, layers: { type: 'string', default: '4' }, 'new-tokens': { type: 'string', default: '8' } } });
if (!args.model || !existsSync(join(args.model, 'config.json'))) throw new Error('--model must be a model folder');
const newTokens = Number(args['new-tokens']);
const prompt = [9707, 11, 1879, 0, 35127, 6, 220, 16, 10, 16, 28];

const run = spawnSync(process.execPath, ['bin/saenggak.js', 'generate', '--model', args.model, '--input-ids', prompt.join(','), '--max-new-tokens', String(newTokens), '--temperature', '0', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
if (run.status !== 0) throw new Error(`generate failed: ${run.stderr}`);
const whole = JSON.parse(run.stdout) as { sequences: { tokens: number[] }[]; loadSeconds: number; timeToFirstTokenSeconds: number; peakRssBytes: number; tokensPerSecond: number };
console.log(`whole model: tokens ${whole.sequences[0].tokens}, load ${whole.loadSeconds.toFixed(1)} s, peak RSS ${(whole.peakRssBytes / 2 ** 30).toFixed(2)} GiB`);

const { truncateModelFolder } = await import('../main/models/truncate.ts');
const { openModelFolder } = await import('../main/models/weight-files.ts');
const { DecoderSession } = await import('../main/models/decoder-session.ts');
const { generate } = await import('../main/models/generate.ts');
const { loadModel } = await import('../main/models/weights.ts');
const { inlineGreedy } = await import('../test/helpers/inline-greedy.ts');
const work = mkdtempSync(join(os.tmpdir(), 'scale-proof-'));
try {
  const layers = Number(args.layers);
  const bf16 = join(work, 'bf16');
  const f32 = join(work, 'f32');
  truncateModelFolder(args.model, bf16, { layers });
  truncateModelFolder(args.model, f32, { layers, dtype: 'F32' });
  const opened = openModelFolder(bf16);
  const session = await DecoderSession.create(opened.config, new Map(), { kvCache: true, lastPositionLogits: true, weightFiles: opened.weightFiles });
  const [fresh] = await generate(session, [prompt], { maxNewTokens: newTokens, stopTokenIds: [] });
  await session.release();
  const old = loadModel(f32);
  const expected = await inlineGreedy(old.config, old.weights, prompt, newTokens);
  const same = JSON.stringify(fresh.tokens) === JSON.stringify(expected);
  console.log(`${layers}-layer copy: new path (bf16 mapped) ${fresh.tokens}; old path (f32 inline) ${expected}: ${same ? 'equal' : 'DIFFERENT'}`);
  const path = writeResult('scale-proof', {
    model: args.model, layers, prompt, new_tokens: newTokens, load_average_1m: os.loadavg()[0],
    whole: { tokens: whole.sequences[0].tokens, load_seconds: whole.loadSeconds, time_to_first_token_s: whole.timeToFirstTokenSeconds, peak_rss_bytes: whole.peakRssBytes, tokens_per_s: whole.tokensPerSecond },
    truncated: { new_path_tokens: fresh.tokens, old_path_tokens: expected, equal: same },
  });
  console.log(`wrote ${path}`);
  if (!same) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
