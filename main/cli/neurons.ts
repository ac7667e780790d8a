// `saenggak neurons find|random|overlap`: language-specific MLP neurons (seed 001's Korean neurons).
//   neurons find --model DIR --lang ko=FILE --lang en=FILE [--layers 0-7] [--top-k N | --top-share P]
//                [--method lape|contrast] [--target ko] --out selection.json [--json]
//   neurons random --like selection.json --model DIR --seed N --out random.json   (the same count per layer, at random)
//   neurons overlap a.json b.json                                                   (shared neurons, Jaccard)
// A selection file goes straight into selective SFT: `method: { kind: selective, neurons: <file contents> }`
// or `saenggak train sft --neurons selection.json`.
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';

type FindOptions = {
  model: string;
  lang: string[];
  layers?: string;
  topK?: string;
  topShare?: string;
  method: string;
  target?: string;
  maxTokens: string;
  provider: string;
  out: string;
  json?: boolean;
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

export function registerNeuronsCommands(program: Command): void {
  const neurons = program.command('neurons').description('find language-specific MLP neurons and make selections for selective tuning');

  neurons
    .command('find')
    .description('score every MLP neuron of the chosen layers for how specific it is to the target language; write the top ones')
    .requiredOption('--model <dir>', 'Hugging Face model folder (config.json, *.safetensors, tokenizer)')
    .requiredOption('--lang <lang=file>', 'texts of one language: one per line, or JSONL with a text/prompt column (repeat: at least two)', collect)
    .option('--layers <ranges>', 'layers to search, e.g. 0-7 or 0,2,4-5 (default: all)')
    .option('--top-k <n>', 'select this many neurons over all searched layers')
    .option('--top-share <p>', 'select this share of the searched neurons (default 0.01)')
    .option('--method <m>', 'lape (activation-probability entropy) | contrast (normalised mean difference)', 'lape')
    .option('--target <lang>', 'the language whose neurons are wanted (default: ko if given, else the first --lang)')
    .option('--max-tokens <n>', 'tokens kept per text', '256')
    .option('--provider <p>', 'auto | cpu | cuda | webgpu', 'cpu')
    .requiredOption('--out <file>', 'where to write the selection JSON')
    .option('--json', 'print {out, model, method, target, selected, layers:[{layer, count}]} as one JSON object')
    .action(
      cliAction(async (options: FindOptions) => {
        const { resolve } = await import('node:path');
        const { findNeuronsInFolder } = await import('../models/neurons/find.ts');
        const { writeSelectionFile, selectedCount } = await import('../models/neurons/selection-file.ts');
        const { readTexts, parseLayerRange } = await import('../models/neurons/texts.ts');
        if (!['lape', 'contrast'].includes(options.method)) throw new Error(`--method must be lape or contrast, got "${options.method}"`);
        if (options.topK !== undefined && options.topShare !== undefined) throw new Error('give --top-k or --top-share, not both');
        const languages = options.lang.map((spec) => {
          const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(spec);
          if (!m) throw new Error(`--lang expects LANG=FILE (e.g. ko=ko.txt), got "${spec}"`);
          return { lang: m[1], texts: readTexts(m[2]) };
        });
        const topShare = options.topShare === undefined ? undefined : Number(options.topShare);
        if (topShare !== undefined && !(topShare > 0 && topShare <= 1)) throw new Error(`--top-share must be a number in (0, 1], got "${options.topShare}"`);
        const { model: modelDir, selection } = await findNeuronsInFolder(options.model, {
          languages,
          target: options.target,
          layers: options.layers ? parseLayerRange(options.layers) : undefined,
          method: options.method as 'lape' | 'contrast',
          topK: options.topK === undefined ? undefined : positiveInt('--top-k', options.topK),
          topShare,
          maxTokens: positiveInt('--max-tokens', options.maxTokens),
          provider: options.provider as 'cpu',
          log: (line) => process.stderr.write(line + '\n'),
        });
        const out = resolve(options.out);
        writeSelectionFile(out, selection);
        const selected = selectedCount(selection);
        const summary = { out, model: modelDir, method: selection.method, target: selection.target, selected, layers: selection.layers.map((l) => ({ layer: l.layer, count: l.neurons.length })) };
        if (options.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else process.stdout.write(`${selected} ${selection.target} neurons (${selection.method}) → ${out}\n${summary.layers.map((l) => `  layer ${l.layer}: ${l.count}`).join('\n')}\n`);
      }),
    );

  neurons
    .command('random')
    .description('a random selection with the same number of neurons per layer as another (the control arm)')
    .requiredOption('--like <file>', 'selection file to match')
    .requiredOption('--model <dir>', 'model folder (for its MLP size)')
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <file>', 'where to write the selection JSON')
    .option('--json', 'print {out, selected, seed} as one JSON object')
    .action(
      cliAction(async (options: { like: string; model: string; seed: string; out: string; json?: boolean }) => {
        const { resolve } = await import('node:path');
        const { loadModelConfig } = await import('../models/config.ts');
        const { readSelectionFile, writeSelectionFile, selectedCount, randomSelectionLike } = await import('../models/neurons/selection-file.ts');
        const seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${options.seed}"`);
        const like = readSelectionFile(options.like);
        const config = loadModelConfig(resolve(options.model));
        const random = randomSelectionLike(like, config.intermediateSize, seed);
        const out = resolve(options.out);
        writeSelectionFile(out, random);
        const selected = selectedCount(random);
        if (options.json) process.stdout.write(JSON.stringify({ out, selected, seed }) + '\n');
        else process.stdout.write(`${selected} random neurons (seed ${seed}) → ${out}\n`);
      }),
    );

  neurons
    .command('overlap')
    .description('neurons two selections share, per layer and overall (Jaccard index)')
    .argument('<a>', 'selection file')
    .argument('<b>', 'selection file')
    .option('--json', 'print the overlap as one JSON object')
    .action(
      cliAction(async (a: string, b: string, options: { json?: boolean }) => {
        const { readSelectionFile, selectionOverlap } = await import('../models/neurons/selection-file.ts');
        const overlap = selectionOverlap(readSelectionFile(a), readSelectionFile(b));
        if (options.json) process.stdout.write(JSON.stringify(overlap) + '\n');
        else process.stdout.write(`${overlap.shared} shared neurons, Jaccard ${overlap.jaccard.toFixed(3)}\n${overlap.layers.map((l) => `  layer ${l.layer}: ${l.shared} shared, Jaccard ${l.jaccard.toFixed(3)}`).join('\n')}\n`);
      }),
    );
}
