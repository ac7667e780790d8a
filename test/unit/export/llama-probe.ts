// Child process for gguf-export.test.ts: loads a GGUF with real llama.cpp (its prebuilt Node binding) and
// prints its tokenization of the prompt and its top-5 next-token probabilities as one JSON line.
// Run apart from the test process: the native binding's logs stay out of the test output, and the
// process exits right after printing, before the binding's teardown (which crashed once under load with
// SIGSEGV while freeing a context after the answer was in).
//   node --import tsx llama-probe.ts MODULE FILE.gguf PROMPT
import { createRequire } from 'node:module';

interface LlamaCtx {
  tokenize(text: string, media?: unknown): Promise<{ tokens: ArrayLike<number> }>;
  completion(opts: Record<string, unknown>, cb: () => void): Promise<{ completion_probabilities: { probs: { tok_str: string; prob: number }[] }[] }>;
}

const [moduleName, path, prompt] = process.argv.slice(2);
const mod = createRequire(import.meta.url)(moduleName) as { LlamaContext: new (o: Record<string, unknown>, p: () => void) => LlamaCtx };
const ctx = new mod.LlamaContext({ model: path, n_ctx: 64, n_threads: 1, n_gpu_layers: 0 }, () => {});
const tokens = Array.from((await ctx.tokenize(prompt, undefined)).tokens);
const r = await ctx.completion({ prompt, n_predict: 1, temperature: 1, top_k: 0, top_p: 1, min_p: 0, n_probs: 5, seed: 1 }, () => {});
const top = r.completion_probabilities[0].probs.map((p) => [p.tok_str, p.prob]);
process.stdout.write(JSON.stringify({ tokens, top }) + '\n', () => process.exit(0));
