// TensorBoard event files: read back by a TFRecord + protobuf parser written here (CRC32C checked),
// independent of the writer's encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, maskedCrc32c } from '../../../main/train/run/tensorboard.ts';
import { readEvents } from './tfevents-reader.ts';
import { RunFolder } from '../../../main/train/run/run-folder.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

/** Bitwise CRC-32C (no table), the reference the tabled one is checked against. */
function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('CRC-32C: the check value of "123456789" and the bitwise definition', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff));
  assert.equal(crc32c(bytes), crc32cBitwise(bytes));
  const c = crc32cBitwise(bytes);
  assert.equal(maskedCrc32c(bytes), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
});

test('a run mirrors its metrics into runs/<name>/tb/events.out.tfevents.* (scalars per split, text), CRCs valid', () => {
  const run = new RunFolder(join(tempDir('tb-'), 'runs', 'demo'));
  mkdirSync(run.dir, { recursive: true });
  const log = run.openMetrics();
  log.append({ step: 1, split: 'train', loss: 2.5, lr: 1e-4, tokens_per_s: 1234, 'rewards/lang/mean': 0.75, kl: 0.01 });
  log.append({ step: 2, split: 'train', loss: 2.25, lr: 2e-4, kl: Number.NaN }, { step: 2, split: 'eval', accuracy: 0.5 });
  log.appendText(2, 'rollouts', '<think>먼저 2+3을 계산하면</think> **5**');
  log.close();
  const files = readdirSync(join(run.dir, 'tb'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^events\.out\.tfevents\.\d+\./);
  const events = readEvents(join(run.dir, 'tb', files[0]));
  assert.equal(events[0].fileVersion, 'brain.Event:2');
  const byStep = events.slice(1);
  assert.deepEqual(byStep[0], { step: 1, scalars: { 'train/loss': 2.5, 'train/lr': Math.fround(1e-4), 'train/tokens_per_s': 1234, 'train/rewards/lang/mean': 0.75, 'train/kl': Math.fround(0.01) }, texts: {}, plugins: [] });
  assert.deepEqual(byStep[1].scalars, { 'train/loss': 2.25, 'train/lr': Math.fround(2e-4) }, 'NaN is left out');
  assert.deepEqual(byStep[2].scalars, { 'eval/accuracy': 0.5 });
  assert.equal(byStep[2].step, 2);
  assert.deepEqual(byStep[3].texts, { 'rollouts/text_summary': '<think>먼저 2+3을 계산하면</think> **5**' });
  assert.deepEqual(byStep[3].plugins, ['text']);
  // metrics.jsonl is unchanged by the mirror.
  assert.deepEqual(run.readMetrics().records.map((r) => [r.step, r.split]), [[1, 'train'], [2, 'train'], [2, 'eval']]);
});

test('tensorboard: false and SAENGGAK_TENSORBOARD=0 turn the mirror off', () => {
  const run = new RunFolder(join(tempDir('tb-'), 'runs', 'quiet'));
  mkdirSync(run.dir, { recursive: true });
  run.openMetrics({ tensorboard: false }).close();
  const before = process.env.SAENGGAK_TENSORBOARD;
  process.env.SAENGGAK_TENSORBOARD = '0';
  try {
    run.openMetrics().close();
  } finally {
    if (before === undefined) delete process.env.SAENGGAK_TENSORBOARD;
    else process.env.SAENGGAK_TENSORBOARD = before;
  }
  assert.throws(() => readdirSync(join(run.dir, 'tb')), /ENOENT/);
});
