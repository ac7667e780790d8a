// Errors raised while building a graph. They carry the op (and the node's readable name) so that a
// shape mistake deep inside a model says where it happened, not just that it happened.

export class GraphBuildError extends Error {
  override name = 'GraphBuildError';
  constructor(
    readonly op: string,
    readonly nodeName: string,
    detail: string,
  ) {
    super(`${op} (${nodeName}): ${detail}`);
  }
}
