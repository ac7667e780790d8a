// Batched generation from a model: `generate(session, prompts, options)`.
//
// The default path is the decode loop (decode-loop.ts): prefill and every token in one onnxruntime run,
// sampling in the graph from the JS sampler's own uniforms, so a seed gives the same tokens as the
// per-token path — callers hold a DecodeLoop. A DecoderSession (compiled with kvCache) runs the per-token
// path (generate-per-token.ts): one run per token, the KV cache through JS each time; it is the reference
// the loop is tested against, and what returnLogits needs. A DecodeLoop made with `path: 'per-token'`
// runs it as an explicit fallback; either way one log line says which path ran.
import type { DecodeLoop } from './decode-loop.ts';
import type { DecoderSession } from './decoder-session.ts';
import type { GenerateOptions, GeneratedSequence } from './generate-options.ts';
import { generatePerToken } from './generate-per-token.ts';

export { firstStop, validateGenerateOptions, type FinishReason, type GenerateOptions, type GeneratedSequence, type StreamEvent } from './generate-options.ts';
export { generatePerToken } from './generate-per-token.ts';

/** What generates: a DecodeLoop (default: the loop) or a KV-cache DecoderSession (the per-token path). */
export type Generator = DecodeLoop | DecoderSession;

export async function generate(session: Generator, prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GeneratedSequence[]> {
  if ('sequences' in session) return session.sequences(prompts, options);
  return generatePerToken(session, prompts, options);
}
