// `saenggak generate`: KV-cache generation from a Hugging Face model folder on the engine's compiled
// decoder. Streams tokens to stdout for a single sequence; `--json` prints every sequence at the end.
// The decode loop (the whole generation in one onnxruntime run) is the default; `--decode per-token`
// runs one onnxruntime run per token instead (tokens appear as they are made; the loop prints them when
// it finishes). `--json` reports the host↔device bytes of the generation (`traffic`).
import type { Command } from 'commander';
import type { ProviderRequest } from '../engine/index.ts';
import { cliAction } from './workspace.ts';

function number(name: string, check: (n: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !check(n)) throw new Error(`${name} must be ${expected}, got "${value}"`);
    return n;
  };
}
const positiveInt = (name: string) => number(name, (n) => Number.isSafeInteger(n) && n > 0, 'a positive integer');

/** "1,2,3" or several prompts "1,2,3;4,5". */
function parsePrompts(value: string): number[][] {
  return value.split(';').map((part) => {
    const ids = part.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
    if (ids.length === 0 || !ids.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`--input-ids must be comma-separated token ids (prompts separated by ";"), got "${value}"`);
    return ids;
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface GenerateCliOptions {
  model: string;
  prompt?: string[];
  chat?: boolean;
  inputIds?: string;
  maxNewTokens: number;
  temperature: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed: number;
  n: number;
  stop?: string[];
  dtype: string;
  provider: string;
  keepStoredDtype?: boolean;
  /** A folder, false (--no-optimized-cache), or undefined (the default: on for half-precision checkpoints). */
  optimizedCache?: string | false;
  decode: string;
  json?: boolean;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate text with a KV cache from a Hugging Face model folder (Qwen2, Qwen3, Llama)')
    .requiredOption('--model <dir>', 'model folder')
    .option('--prompt <text>', 'prompt text (repeat for a batch)', collect)
    .option('--chat', 'wrap each prompt as a user message with the chat template (adds the assistant header)')
    .option('--input-ids <ids>', 'token ids instead of text: "1,2,3", several prompts separated by ";"')
    .option('--max-new-tokens <n>', 'tokens to generate at most', positiveInt('--max-new-tokens'), 64)
    .option('--temperature <t>', 'sampling temperature; 0 = greedy', number('--temperature', (n) => n >= 0 && Number.isFinite(n), 'a number ≥ 0'), 0)
    .option('--top-p <p>', 'nucleus sampling mass in (0, 1]', number('--top-p', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--top-k <k>', 'sample among the k most likely tokens', positiveInt('--top-k'))
    .option('--min-p <p>', 'drop tokens below p × the top probability', number('--min-p', (n) => n >= 0 && n <= 1, 'in [0, 1]'))
    .option('--seed <s>', 'sampling seed', number('--seed', Number.isSafeInteger, 'an integer'), 0)
    .option('--n <k>', 'samples per prompt', positiveInt('--n'), 1)
    .option('--stop <text>', 'stop string (repeatable)', collect)
    .option('--dtype <dtype>', 'float32 or float64', 'float32')
    .option('--provider <name>', 'execution provider: cpu, cuda, webgpu or auto', 'cpu')
    .option('--keep-stored-dtype', 'bf16/f16 checkpoints: keep the weights half-size in memory and cast them at every use (half the memory, slower decoding)')
    .option('--optimized-cache <dir>', 'save onnxruntime\'s optimised graph (with folded float32 weights) here on the first start and map it on later ones (default for bf16/f16 checkpoints: SAENGGAK_CACHE_DIR or ~/.cache/saenggak-lab, /optimized-models)')
    .option('--no-optimized-cache', 'never read or write the optimised-graph cache')
    .option('--decode <path>', 'loop: the whole generation in one onnxruntime run; per-token: one run per token (streams as it goes)', 'loop')
    .option('--json', 'print the results as JSON (with loadSeconds, timeToFirstTokenSeconds, peakRssBytes and traffic)')
    .action(
      cliAction(async (opts: GenerateCliOptions) => {
        if (!opts.prompt === !opts.inputIds) throw new Error('pass --prompt or --input-ids (exactly one kind)');
        if (opts.chat && !opts.prompt) throw new Error('--chat needs --prompt');
        if (opts.dtype !== 'float32' && opts.dtype !== 'float64') throw new Error(`--dtype must be float32 or float64, got "${opts.dtype}"`);
        if (!['cpu', 'cuda', 'webgpu', 'auto'].includes(opts.provider)) throw new Error(`--provider must be cpu, cuda, webgpu or auto, got "${opts.provider}"`);
        if (opts.decode !== 'loop' && opts.decode !== 'per-token') throw new Error(`--decode must be loop or per-token, got "${opts.decode}"`);
        const loadStarted = performance.now();
        const { openModelFolder } = await import('../models/weight-files.ts');
        const { DecodeLoop } = await import('../models/decode-loop.ts');
        const { generate } = await import('../models/generate.ts');
        // Headers only: the session maps the checkpoint files itself (no copy of the weights in JS).
        const { config, weightFiles, generationConfig } = openModelFolder(opts.model);
        if (config.task !== 'causal-lm') throw new Error(`${config.architecture} is not a causal language model`);

        const needTokenizer = !!opts.prompt || !!opts.stop?.length || !opts.json;
        let tokenizer: import('../models/tokenizer.ts').Tokenizer | null = null;
        if (needTokenizer) {
          const { Tokenizer } = await import('../models/tokenizer.ts');
          try {
            tokenizer = Tokenizer.load(opts.model);
          } catch (err) {
            if (opts.prompt || opts.stop?.length) throw err;
          }
        }
        const prompts = opts.prompt
          ? opts.prompt.map((text) => (opts.chat ? tokenizer!.encodeChat([{ role: 'user', content: text }], { addGenerationPrompt: true }) : tokenizer!.encode(text)))
          : parsePrompts(opts.inputIds!);
        const genEos = generationConfig?.eos_token_id;
        const stopTokenIds = [...new Set([...config.eosTokenIds, ...(Array.isArray(genEos) ? genEos : typeof genEos === 'number' ? [genEos] : [])])];
        const decode = tokenizer ? (ids: readonly number[]) => tokenizer!.decode(ids, { skipSpecialTokens: true }) : undefined;

        // A half-precision checkpoint is cast to float32 by onnxruntime's constant folding on every start
        // (seconds per GB): unless told otherwise, the optimised graph with its folded weights is cached.
        let optimizedCacheDir = opts.optimizedCache || undefined;
        if (opts.optimizedCache === undefined && !opts.keepStoredDtype && [...weightFiles.tensors.values()].some((t) => t.dtype === 'BF16' || t.dtype === 'F16')) {
          optimizedCacheDir = (await import('../models/optimized-cache.ts')).defaultOptimizedCacheDir();
        }
        // The session is made on the first call (its sampling knobs are part of the loop graph).
        const session = new DecodeLoop(config, new Map(), {
          dtype: opts.dtype, provider: opts.provider as ProviderRequest, weightFiles, keepStoredDtype: opts.keepStoredDtype, optimizedCacheDir,
          path: opts.decode, log: (line) => process.stderr.write(`${line}\n`),
        });
        const sampling = opts.temperature > 0 ? { temperature: opts.temperature, topP: opts.topP, topK: opts.topK, minP: opts.minP, seed: opts.seed } : undefined;
        await session.load({ sampling });
        const loadSeconds = (performance.now() - loadStarted) / 1000;
        let firstToken: number | null = null;
        const streaming = !opts.json && prompts.length === 1 && opts.n === 1 && !!decode;
        let printed = '';
        const started = performance.now();
        const results = await generate(session, prompts, {
          maxNewTokens: opts.maxNewTokens,
          sampling,
          n: opts.n,
          stopTokenIds,
          stopStrings: opts.stop,
          decode,
          onToken: (() => {
            const ids: number[] = [];
            return (e: { token: number }) => {
              firstToken ??= performance.now();
              if (!streaming) return;
              ids.push(e.token);
              const text = decode!(ids);
              // Print only whole characters: a partial UTF-8 sequence decodes to U+FFFD until completed.
              if (text.startsWith(printed) && !text.endsWith('\uFFFD')) {
                process.stdout.write(text.slice(printed.length));
                printed = text;
              }
            };
          })(),
        });
        const seconds = (performance.now() - started) / 1000;
        const traffic = session.traffic.totals;
        await session.release();
        const generated = results.reduce((s, r) => s + r.tokens.length, 0);
        if (opts.json) {
          process.stdout.write(JSON.stringify({
            architecture: config.architecture, engine: `onnx-${opts.dtype === 'float64' ? 'f64' : 'f32'}`,
            prompts, sequences: results, generatedTokens: generated, seconds, tokensPerSecond: generated / seconds,
            // Start-up and memory (issue #30): headers, tokenizer and session ready; prompt to first token;
            // the process's peak resident set so far (weights mapped from the files count once read).
            loadSeconds, timeToFirstTokenSeconds: firstToken === null ? null : (firstToken - started) / 1000,
            peakRssBytes: process.resourceUsage().maxRSS * 1024,
            // Bytes fed to and fetched from onnxruntime (the engine's counter), and the path that ran.
            decodePath: session.pathFor({}).path, traffic,
            ...(session.optimizedCache ? { optimizedCache: session.optimizedCache } : {}),
          }) + '\n');
          return;
        }
        if (streaming) {
          process.stdout.write('\n');
          return;
        }
        for (const r of results) {
          const body = r.text ?? r.tokens.join(',');
          process.stdout.write(`[prompt ${r.prompt}${opts.n > 1 ? `, sample ${r.sample}` : ''}, ${r.finishReason}] ${body}\n`);
        }
      }),
    );
}
