// The one model resolver (#25.2): a Hub id found in a cache laid out as huggingface_hub lays it out
// (blobs, snapshots of symlinks, refs), at refs/<revision>, never "the first snapshot alphabetically";
// used by every `--model` of the CLI and by the pipeline's lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hubCacheDir, resolveModelPath } from '../../../main/models/resolve.ts';
import { modelCandidates } from '../../../main/pipeline/locate.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

// 'aaaa…' sorts before 'ffff…': the old lookup took the older commit.
const OLD = 'a'.repeat(40);
const NEW = 'f'.repeat(40);

/** Puts a saved model folder into `cache` as huggingface_hub does: content-addressed blobs, relative symlinks. */
function addSnapshot(cache: string, id: string, commit: string, modelDir: string): void {
  const repo = join(cache, `models--${id.replace('/', '--')}`);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
  for (const file of readdirSync(modelDir)) {
    const bytes = readFileSync(join(modelDir, file));
    const sha = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(repo, 'blobs', sha), bytes);
    symlinkSync(join('..', '..', 'blobs', sha), join(repo, 'snapshots', commit, file));
  }
}

function setRef(cache: string, id: string, ref: string, commit: string): void {
  const dir = join(cache, `models--${id.replace('/', '--')}`, 'refs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ref), commit); // huggingface_hub writes the bare hash, no newline
}

function hubCache(): { cache: string; id: string } {
  const cache = tempDir('hub-cache-');
  const id = 'Saenggak/tiny-qwen';
  for (const [commit, layers] of [[OLD, 1], [NEW, 2]] as const) {
    const config = tinyConfig('qwen2', { overrides: { numLayers: layers } });
    const dir = tempDir('hub-src-');
    saveModel(dir, { config, weights: randomWeights(config, layers), generationConfig: null });
    addSnapshot(cache, id, commit, dir);
  }
  setRef(cache, id, 'main', NEW);
  setRef(cache, id, 'v1', OLD);
  return { cache, id };
}

test('Hub id → the snapshot refs/main names; --revision picks a tag or a commit; cache dir from HF_HUB_CACHE, HF_HOME', () => {
  const { cache, id } = hubCache();
  const env = { HF_HUB_CACHE: cache };
  const repo = join(cache, 'models--Saenggak--tiny-qwen');
  assert.equal(resolveModelPath(id, { env }), join(repo, 'snapshots', NEW));
  assert.equal(resolveModelPath(id, { env, revision: 'v1' }), join(repo, 'snapshots', OLD));
  assert.equal(resolveModelPath(id, { env, revision: OLD }), join(repo, 'snapshots', OLD));
  assert.equal(hubCacheDir({ HF_HOME: '/x/hf' }), '/x/hf/hub');
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/y', HF_HOME: '/x/hf' }), '/y');
  // A folder that exists wins (transformers does the same).
  const folder = tempDir('plain-');
  assert.equal(resolveModelPath(folder, { env }), folder);
});

test('missing model or revision: the message names the folder looked in and the huggingface-cli download line', () => {
  const { cache, id } = hubCache();
  const env = { HF_HUB_CACHE: cache };
  assert.throws(() => resolveModelPath('Qwen/Qwen2.5-1.5B-Instruct', { env }), (e: Error) =>
    e.message.includes(join(cache, 'models--Qwen--Qwen2.5-1.5B-Instruct')) && e.message.includes('does not exist') &&
    e.message.includes('huggingface-cli download Qwen/Qwen2.5-1.5B-Instruct') && e.message.includes('HF_HUB_CACHE'));
  assert.throws(() => resolveModelPath(id, { env, revision: 'v2' }), /has no refs\/v2.*huggingface-cli download Saenggak\/tiny-qwen --revision v2/);
  // A ref naming a snapshot that is not there (interrupted download) says so.
  setRef(cache, id, 'broken', 'b'.repeat(40));
  assert.throws(() => resolveModelPath(id, { env, revision: 'broken' }), /refs\/broken points at commit b{40} but .* is missing/);
  assert.throws(() => resolveModelPath('./no/such/dir/..', { env }), /does not exist/);
});

test('CLI: `model info --model <hub id>` reads the refs/main snapshot, --revision the tagged one; pipeline lookup agrees', async () => {
  const { cache, id } = hubCache();
  const env = { ...process.env, HF_HUB_CACHE: cache };
  const info = async (...extra: string[]) =>
    JSON.parse((await run(process.execPath, [bin, 'model', 'info', '--model', id, '--json', ...extra], { env })).stdout);
  assert.equal((await info()).config.numLayers, 2);
  assert.equal((await info('--revision', 'v1')).config.numLayers, 1);
  const missing = await run(process.execPath, [bin, 'model', 'info', '--model', 'Nobody/none', '--json'], { env }).then(() => null, (e) => e);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^saenggak: model "Nobody\/none" is neither a folder nor in the Hugging Face cache.*huggingface-cli download Nobody\/none/);

  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = cache;
  try {
    const candidates = modelCandidates(tempDir('ws-'), id);
    assert.equal(candidates.at(-1), join(cache, 'models--Saenggak--tiny-qwen', 'snapshots', NEW));
    assert.equal(candidates.filter((c) => c.includes('snapshots')).length, 1);
    // A recipe's `hub` stage with `revision: v1` looks at the tagged snapshot.
    assert.equal(modelCandidates(tempDir('ws-'), id, 'v1').at(-1), join(cache, 'models--Saenggak--tiny-qwen', 'snapshots', OLD));
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});
