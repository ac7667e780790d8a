// Row-sparse gradients of lookup tables (embeddings). The autodiff rule of Gather scatter-adds the
// gathered rows' gradients into a zero table of the parameter's shape: for a 151k-token vocabulary that
// is a 155 MB tensor written (zeros), copied (ScatterND) and read several times by clipping and AdamW on
// every step, although only the rows of the batch's ids are non-zero.
//
// When a parameter's gradient is exactly that pattern, the optimizer can work from the rows alone:
// the ids, flattened to [N], and each id's summed gradient (duplicates of an id share one total). The
// gradient norm is taken over a compact table of the distinct ids' sums (zero rows beyond), and AdamW
// (./adamw.ts, adamwRowSparseUpdate) decays every row's moments densely, as it must, but adds the
// gradient terms only at the ids. The result is the dense update's, element for element: on rows without
// gradient the dense update adds exact zeros.

import { type Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

export type RowSparseGradient = {
  /** [N] int64: the row of every gradient slice (ids may repeat). */
  ids: Tensor;
  /** [N, ...row]: for every id, the summed gradient of all its occurrences (repeats hold the same sum). */
  rowsPerId: Tensor;
  /** [N, ...row]: one row per distinct id (in order of first appearance), zero rows after them. Same sum of squares as the dense gradient. */
  distinctRows: Tensor;
};

/**
 * The row-sparse form of `grad` when it is the scatter-add of slices into a zero table shaped like
 * `param` (the Gather rule's embedding gradient); null for any other gradient (e.g. a tied embedding,
 * whose gradient also has a dense LM-head part), which then takes the dense path.
 */
export function rowSparseGradient(param: Tensor, grad: Tensor): RowSparseGradient | null {
  const scatter = grad.producer;
  if (!scatter || scatter.op !== 'ScatterND' || scatter.attrs.reduction !== 'add') return null;
  const [table, indices, updates] = scatter.inputs;
  const zeroTable = table.producer?.op === 'ConstantOfShape' && table.producer.attrs.value === 0;
  const sameShape = table.rank === param.rank && table.shape.every((d, i) => d === param.shape[i]);
  if (!zeroTable || !sameShape || grad.dtype !== param.dtype || param.rank < 1 || indices.shape[indices.rank - 1] !== 1) return null;
  const g = param.graph;
  return g.scope('row_sparse', () => {
    const rowShape = param.shape.slice(1);
    const ids = op.reshape(indices, [-1]);
    const rows = op.reshape(updates, [-1, ...rowShape]);
    const slot = op.uniqueInverse(ids);
    const distinctRows = op.scatterND(op.zeros(g, rows.shape, rows.dtype), op.unsqueeze(slot, [-1]), rows, 'add');
    return { ids, rowsPerId: op.gather(distinctRows, slot), distinctRows };
  });
}
