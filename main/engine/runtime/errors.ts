// Errors the executor raises. Every onnxruntime failure is re-thrown with the graph's name and each
// input's name, dtype and shape, because onnxruntime's own messages name at most one node.

import type * as ort from 'onnxruntime-node';
import { describeTensor } from './tensors.ts';

export class OnnxRunError extends Error {
  override name = 'OnnxRunError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown when a train step produces a NaN or infinite loss; the state is left as it was before the step. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`train step ${step}: loss is ${loss}; parameters were not updated (lower the learning rate or check the data)`);
  }
}

export function describeFeeds(feeds: Record<string, ort.Tensor>): string {
  return Object.entries(feeds)
    .map(([name, t]) => `  ${name}: ${describeTensor(t)}`)
    .join('\n');
}

export function wrapRunError(graph: string, feeds: Record<string, ort.Tensor>, cause: unknown): OnnxRunError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new OnnxRunError(`onnxruntime failed running graph '${graph}': ${reason}\ninputs:\n${describeFeeds(feeds)}`, {
    cause,
  });
}
