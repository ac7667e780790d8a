// Dimensions: a fixed size, or a symbolic one. A symbolic dimension is a product of named sizes with
// an integer coefficient, written canonically ('batch_size', 'batch_size*seq', '2*seq'), so that a
// flatten [batch_size, seq, 64] → [-1, 64] infers 'batch_size*seq' and the reshape back checks out.
// At lowering time every symbol is read off a graph input that has it (Shape → Mul), so reshapes
// and expands on symbolic shapes need no user-supplied shape tensors.

export type Dim = number | string;
export type Shape = readonly Dim[];

type Monomial = { coef: number; syms: string[] };

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function parseDim(dim: Dim): Monomial {
  if (typeof dim === 'number') return { coef: dim, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of dim.split('*')) {
    if (/^\d+$/.test(part)) coef *= Number(part);
    else if (SYMBOL.test(part)) syms.push(part);
    else throw new TypeError(`bad symbolic dimension ${JSON.stringify(dim)}: factors must be names or integers`);
  }
  return { coef, syms: syms.sort() };
}

function formatMonomial(m: Monomial): Dim {
  if (m.syms.length === 0) return m.coef;
  return m.coef === 1 ? m.syms.join('*') : `${m.coef}*${m.syms.join('*')}`;
}

/** Canonical form of a dimension given by a caller ('seq*batch' → 'batch*seq'). */
export function normalizeDim(dim: Dim): Dim {
  if (typeof dim === 'number') {
    if (!Number.isInteger(dim) || dim < 0) throw new TypeError(`bad dimension ${dim}: must be a non-negative integer`);
    return dim;
  }
  return formatMonomial(parseDim(dim));
}

export function isStatic(dim: Dim): dim is number {
  return typeof dim === 'number';
}
export function isStaticShape(shape: Shape): shape is readonly number[] {
  return shape.every(isStatic);
}

export function mulDims(a: Dim, b: Dim): Dim {
  const x = parseDim(a);
  const y = parseDim(b);
  return formatMonomial({ coef: x.coef * y.coef, syms: [...x.syms, ...y.syms].sort() });
}

/** a / b when exact (coefficients divide, b's symbols are among a's), else null. */
export function divDims(a: Dim, b: Dim): Dim | null {
  const x = parseDim(a);
  const y = parseDim(b);
  if (y.coef === 0 || x.coef % y.coef !== 0) return null;
  const syms = [...x.syms];
  for (const s of y.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return null;
    syms.splice(i, 1);
  }
  return formatMonomial({ coef: x.coef / y.coef, syms });
}

export function numElements(shape: Shape): Dim {
  return shape.reduce<Dim>((acc, d) => mulDims(acc, d), 1);
}

export function symbolsOf(dim: Dim): string[] {
  return parseDim(dim).syms;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Numpy-style broadcast of two shapes. Symbolic dims are assumed to be ≥ 2 unless they equal the
 * other side: 'seq' against 1 gives 'seq', 'seq' against 'seq' gives 'seq', 'seq' against 'batch'
 * is an error (name your dimensions consistently), 'seq' against 8 gives 8.
 * Returns an error message instead of throwing so the caller can name the op.
 */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | string {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'string' && typeof db === 'number') out.push(db);
    else if (typeof db === 'string' && typeof da === 'number') out.push(da);
    else return `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (axis ${i - rank}: ${da} vs ${db})`;
  }
  return out;
}

/** Whether `dim` could equal `other` at run time (used where sizes must agree, e.g. a MatMul's K). */
export function dimsCompatible(dim: Dim, other: Dim): boolean {
  return dim === other || typeof dim !== typeof other;
}

/** Resolves a (possibly negative) axis against a rank, or returns null when out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : null;
}
