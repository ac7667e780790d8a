// Packing efficiency on the bench's hard case: examples of 131–140 tokens in rows of 1024. Eight never
// fit a row (8 × 131 > 1024), so any whole-example packer leaves ~86 slots per row empty and padding
// to the full row caps efficiency near 91.5%. Micro-batches are padded only to their longest row
// (rounded up to LENGTH_MULTIPLE), which must bring it to ≥ 95%. The reported efficiency is checked
// against the tensors actually fed to the graph (non-padding = attention_mask ≠ 0), counted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LENGTH_MULTIPLE, packingEfficiency, paddedLength, planEpoch, rowsBatch, type BatchPlanOptions } from '../../../main/train/sft/packing.ts';
import { Rng } from '../../../main/engine/rng.ts';
import type { SftExample } from '../../../main/train/sft/data.ts';

const ROW = 1024;
const options: BatchPlanOptions = { packing: true, maxSeqLength: ROW, batchSize: 4, batchUnit: 'sequences', seed: 1 };

/** 2000 examples with lengths 131–140 (the bench's distribution); token ids encode (example, position). */
function benchLikeExamples(): SftExample[] {
  const rng = new Rng(42);
  return Array.from({ length: 2000 }, (_, i) => {
    const length = 131 + rng.int(10);
    const ids = Array.from({ length }, (_, t) => 1 + ((i * 7 + t) % 97));
    return { id: `e${i}`, ids, targets: ids.map((_, t) => (t >= 20 ? 1 : 0)) };
  });
}

test('reported efficiency equals the non-padding share of the fed tensors, ≥ 95% on 131–140-token examples in 1024 rows', () => {
  const examples = benchLikeExamples();
  for (const epoch of [0, 1]) {
    const batches = planEpoch(examples, epoch, options);
    let real = 0;
    let slots = 0;
    let fullRowSlots = 0;
    for (const rows of batches) {
      const length = paddedLength(rows, options);
      const longest = Math.max(...rows.map((r) => r.ids.length));
      assert.ok(length >= longest && length < longest + LENGTH_MULTIPLE && length <= ROW, `padded length ${length} for a longest row of ${longest}`);
      const { feed } = rowsBatch(rows, { length, padId: 0, segmentMask: true });
      const mask = feed.attention_mask.data as BigInt64Array;
      for (const m of mask) if (m !== 0n) real++;
      slots += mask.length;
      fullRowSlots += rows.length * ROW;
    }
    const reported = packingEfficiency(batches, options);
    assert.ok(Math.abs(reported - real / slots) < 1e-12, `reported ${reported} vs counted ${real / slots}`);
    assert.ok(reported >= 0.95, `epoch ${epoch}: efficiency ${reported}`);
    // The distribution is the hard case: padded to whole rows the same packing stays below the goal.
    assert.ok(real / fullRowSlots < 0.93, `full-row efficiency ${real / fullRowSlots}`);
  }
});

test('every example appears exactly once per epoch, whole and in order, with positions restarting', () => {
  const examples = benchLikeExamples();
  const byId = new Map(examples.map((e) => [e.id, e]));
  for (const epoch of [0, 1, 2]) {
    const seen = new Map<string, number>();
    for (const row of planEpoch(examples, epoch, options).flat()) {
      assert.ok(row.ids.length <= ROW);
      let offset = 0;
      row.examples.forEach((id, k) => {
        seen.set(id, (seen.get(id) ?? 0) + 1);
        const e = byId.get(id)!;
        const span = (a: readonly number[]) => a.slice(offset, offset + e.ids.length);
        assert.deepEqual(span(row.ids), e.ids);
        assert.deepEqual(span(row.targets), e.targets);
        assert.ok(span(row.segments).every((s) => s === k + 1));
        assert.deepEqual(span(row.positions), e.ids.map((_, t) => t));
        offset += e.ids.length;
      });
      assert.equal(offset, row.ids.length, 'a row holds nothing but its examples');
    }
    assert.equal(seen.size, examples.length, `epoch ${epoch}: every example is placed`);
    for (const [id, n] of seen) assert.equal(n, 1, `epoch ${epoch}: example ${id} appears ${n} times`);
  }
});
