// What the dataset tools need from an embedder: fixed-size, L2-normalized Float32 vectors, so that a dot
// product is the cosine similarity and LanceDB's cosine/dot distances agree.

export interface Embedder {
  /** Stable id of the model and its settings (stored with embeddings so stale ones are not mixed in). */
  readonly id: string;
  readonly dimension: number;
  /** Embeds `texts` into one row-major [texts.length × dimension] array of unit vectors (zero rows for empty texts). */
  embed(texts: readonly string[]): Promise<Float32Array>;
}
