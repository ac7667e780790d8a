// The virtualized table's arithmetic: which rows to render and where, in plain and in scaled mode
// (more rows than a browser lets an element be tall). Checked against direct pixel arithmetic.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layoutWindow, rowOffset, scrollTopForRow } from '../../../renderer/src/lib/components/windowing.ts';

const ROW = 28;
const base = { rowHeight: ROW, viewport: 700, overscan: 6, maxScrollPx: 8_000_000 };

function near(actual: number, expected: number, tolerance = 1e-6) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≉ ${expected}`);
}

describe('windowed list layout', () => {
  it('renders only the rows in view plus overscan, each at index × row height (100k rows)', () => {
    const total = 100_000;
    for (const scrollTop of [0, 13, 28 * 5000 + 10, 28 * total - 700 - 1, 28 * total - 700]) {
      const l = layoutWindow({ ...base, total, scrollTop });
      assert.equal(l.scaled, false);
      assert.equal(l.bodyHeight, total * ROW);
      // Rows touching [scrollTop, scrollTop + viewport) by direct pixel arithmetic.
      const firstVisible = Math.floor(scrollTop / ROW);
      const lastVisible = Math.min(total - 1, Math.floor((scrollTop + base.viewport - 1) / ROW));
      assert.ok(l.first <= firstVisible && l.last >= lastVisible, `window ${l.first}-${l.last} misses ${firstVisible}-${lastVisible}`);
      assert.ok(l.last - l.first + 1 <= Math.ceil(base.viewport / ROW) + 1 + 2 * base.overscan);
      assert.equal(l.first, Math.max(0, firstVisible - base.overscan));
      for (const i of [l.first, firstVisible, l.last]) near(rowOffset(l, scrollTop, i, ROW), i * ROW);
    }
  });

  it('scales the scroll range past the height cap and still reaches both ends exactly', () => {
    const total = 10_000_000; // 280 M px of rows
    const top = layoutWindow({ ...base, total, scrollTop: 0 });
    assert.equal(top.scaled, true);
    assert.equal(top.bodyHeight, base.maxScrollPx);
    assert.equal(top.first, 0);
    near(rowOffset(top, 0, 0, ROW), 0);

    const maxScroll = base.maxScrollPx - base.viewport;
    const end = layoutWindow({ ...base, total, scrollTop: maxScroll });
    assert.equal(end.last, total - 1);
    // The last row's bottom edge sits on the viewport's bottom edge.
    near(rowOffset(end, maxScroll, total - 1, ROW) + ROW, maxScroll + base.viewport, 1e-3);

    const mid = layoutWindow({ ...base, total, scrollTop: maxScroll / 2 });
    near(mid.firstExact, (total - base.viewport / ROW) / 2, 1e-3);
    // Neighbouring rows stay one row height apart, and the window lies on screen.
    const a = rowOffset(mid, maxScroll / 2, mid.first, ROW);
    const b = rowOffset(mid, maxScroll / 2, mid.first + 1, ROW);
    near(b - a, ROW, 1e-6);
    assert.ok(rowOffset(mid, maxScroll / 2, Math.floor(mid.firstExact), ROW) <= maxScroll / 2);
    assert.ok(rowOffset(mid, maxScroll / 2, Math.floor(mid.firstExact) + 1, ROW) > maxScroll / 2);
  });

  it('finds the scroll offset that brings a row to the top, in both modes', () => {
    for (const total of [100_000, 10_000_000]) {
      const probe = layoutWindow({ ...base, total, scrollTop: 0 });
      for (const index of [0, 1, 777, Math.floor(total / 3), total - 30]) {
        const scrollTop = scrollTopForRow(probe, index, ROW);
        const l = layoutWindow({ ...base, total, scrollTop });
        near(l.firstExact, Math.min(index, total - base.viewport / ROW), 1e-3);
        assert.ok(l.first <= index && index <= l.last);
      }
    }
  });

  it('renders nothing for an empty table', () => {
    const l = layoutWindow({ ...base, total: 0, scrollTop: 0 });
    assert.equal(l.bodyHeight, 0);
    assert.ok(l.last < l.first);
  });
});
