// The arithmetic of a windowed list with fixed row height, kept apart from the component so it can be
// tested on its own.
//
// Browsers cap how tall an element may be (Chromium ~33 M px, Firefox ~17 M px). Up to `maxScrollPx`
// the body is as tall as all rows and row i sits at i × rowHeight. Past it the body is capped and the
// scroll range is scaled: the scroll fraction picks the first visible row, and rows on screen are placed
// relative to the viewport top, so they still move by exactly one row height per row.

export type WindowInput = {
  total: number;
  rowHeight: number;
  /** Height of the visible part of the body (excluding a sticky header). */
  viewport: number;
  scrollTop: number;
  overscan: number;
  maxScrollPx: number;
};

export type WindowLayout = {
  /** Height to give the scrolling body. */
  bodyHeight: number;
  scaled: boolean;
  /** Largest scrollTop the body allows. */
  maxScroll: number;
  /** Largest value firstExact takes (the last row then ends at the viewport bottom). */
  maxFirst: number;
  /** Fractional index of the row at the viewport top. */
  firstExact: number;
  /** First and last index to render (inclusive, overscan included); last < first when total is 0. */
  first: number;
  last: number;
};

export function layoutWindow(w: WindowInput): WindowLayout {
  const fullHeight = w.total * w.rowHeight;
  const scaled = fullHeight > w.maxScrollPx;
  const bodyHeight = scaled ? w.maxScrollPx : fullHeight;
  const maxScroll = Math.max(0, bodyHeight - w.viewport);
  const maxFirst = Math.max(0, w.total - w.viewport / w.rowHeight);
  const scrollTop = Math.min(Math.max(0, w.scrollTop), maxScroll);
  const firstExact = scaled ? (maxScroll > 0 ? (scrollTop / maxScroll) * maxFirst : 0) : scrollTop / w.rowHeight;
  const top = Math.floor(firstExact);
  const first = Math.max(0, top - w.overscan);
  const last = Math.min(w.total - 1, top + Math.ceil(w.viewport / w.rowHeight) + w.overscan);
  return { bodyHeight, scaled, maxScroll, maxFirst, firstExact, first, last };
}

/** Where row `index` goes inside the body (the pixel offset of its top edge). */
export function rowOffset(layout: WindowLayout, scrollTop: number, index: number, rowHeight: number): number {
  const clamped = Math.min(Math.max(0, scrollTop), layout.maxScroll);
  return clamped + (index - layout.firstExact) * rowHeight;
}

/** The scrollTop that puts row `index` at the viewport top (as far as the scroll range allows). */
export function scrollTopForRow(layout: WindowLayout, index: number, rowHeight: number): number {
  const target = Math.min(Math.max(0, index), layout.maxFirst);
  if (!layout.scaled) return Math.min(target * rowHeight, layout.maxScroll);
  return layout.maxFirst > 0 ? (target / layout.maxFirst) * layout.maxScroll : 0;
}
