// A local Hugging Face causal-LM folder as a response generator, with the same `generate(prompt)` shape as
// an OpenAI-compatible teacher (main/llm/teacher-client.ts), so collection treats both alike.
// The model loads on first use; prompts go through the tokenizer's chat template. Its weights are not
// read into JS: the session maps the checkpoint's safetensors shards (issue #30).
import { resolve } from 'node:path';
import type { TeacherReply } from '../llm/teacher-client.ts';
import { splitThinking } from '../rewards/think-split.ts';

export type LocalGeneratorOptions = {
  name: string;
  modelDir: string;
  maxNewTokens: number;
  temperature: number;
  topP?: number;
  seed: number;
};

type Loaded = {
  encode(prompt: string): number[];
  run(ids: number[], seed: number): Promise<{ text: string; finishReason: string; tokens: number }>;
};

export class LocalGenerator {
  readonly name: string;
  readonly model: string;
  /** One prompt at a time: the engine already uses every core for one batch. */
  readonly concurrency = 1;
  private loaded: Promise<Loaded> | null = null;
  private calls = 0;

  constructor(private readonly options: LocalGeneratorOptions) {
    this.name = options.name;
    this.model = resolve(options.modelDir);
  }

  private load(): Promise<Loaded> {
    this.loaded ??= (async () => {
      const { openModelFolder } = await import('../models/weight-files.ts');
      const { Tokenizer } = await import('../models/tokenizer.ts');
      const { DecodeLoop } = await import('../models/decode-loop.ts');
      const { generate } = await import('../models/generate.ts');
      const { config, weightFiles } = openModelFolder(this.model);
      if (config.task !== 'causal-lm') throw new Error(`generator "${this.name}": ${this.model} is not a causal language model (${config.architecture})`);
      const tokenizer = Tokenizer.load(this.model);
      // A bf16/f16 checkpoint uses the optimised-graph cache, as `saenggak generate` and evaluation do (#30): its
      // first start folds a float32 copy of every weight, later starts (the next collection) map the saved one.
      const half = [...weightFiles.tensors.values()].some((t) => t.dtype === 'BF16' || t.dtype === 'F16');
      const optimizedCacheDir = half ? (await import('../models/optimized-cache.ts')).defaultOptimizedCacheDir() : undefined;
      // The decode loop: one onnxruntime run per reply (#20).
      const session = DecodeLoop.create(config, new Map(), { weightFiles, optimizedCacheDir });
      const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
      return {
        encode: (prompt) => tokenizer.encodeChat([{ role: 'user', content: prompt }], { addGenerationPrompt: true }),
        run: async (ids, seed) => {
          const [out] = await generate(session, [ids], {
            maxNewTokens: this.options.maxNewTokens,
            sampling: this.options.temperature > 0 ? { temperature: this.options.temperature, topP: this.options.topP, seed } : undefined,
            stopTokenIds: config.eosTokenIds,
            decode,
          });
          return { text: out.text ?? decode(out.tokens), finishReason: out.finishReason === 'length' ? 'length' : 'stop', tokens: out.tokens.length };
        },
      };
    })();
    return this.loaded;
  }

  async generate(prompt: string, signal?: AbortSignal): Promise<TeacherReply> {
    signal?.throwIfAborted();
    const model = await this.load();
    const ids = model.encode(prompt);
    // Each call draws from its own seed so samples of one prompt differ when sampling.
    const { text, finishReason, tokens } = await model.run(ids, this.options.seed + this.calls++);
    const split = splitThinking(text);
    const thinks = split.status !== 'no_thinking';
    return {
      thinking: thinks ? split.thinking : '',
      answer: thinks ? split.summary : text.trim(),
      thinkingSource: thinks ? 'think_tags' : 'none',
      finishReason,
      usage: { promptTokens: ids.length, completionTokens: tokens },
      attempts: 1,
    };
  }
}
