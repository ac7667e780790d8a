// `saenggak eval --model DIR --benchmark NAME [--k N] [--temperature T] --json`: evaluates one model on one
// benchmark (a workspace dataset, or a .jsonl/.json/.parquet file or Hugging Face folder), resuming an
// interrupted evaluation of the same name. Progress goes to stderr; with --json the summary is the last
// stdout line. Returns the command so `eval rm` (main/cli/eval-rm.ts) can hang under it.
import type { Command } from 'commander';
import { cliAction, WORKSPACE_ENV } from './workspace.ts';
import { processTraffic } from '../engine/runtime/traffic.ts';

function number(name: string, check: (n: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !check(n)) throw new Error(`${name} must be ${expected}, got "${value}"`);
    return n;
  };
}
const positiveInt = (name: string) => number(name, (n) => Number.isSafeInteger(n) && n > 0, 'a positive integer');

interface EvalCliOptions {
  model?: string;
  benchmark?: string;
  base?: string;
  workspace?: string;
  evalsDir?: string;
  name?: string;
  k: number;
  temperature?: number;
  topP?: number;
  maxNewTokens?: number;
  seed: number;
  template?: string;
  chat: boolean;
  lang?: string;
  problemColumn?: string;
  answerColumn?: string;
  idColumn?: string;
  limit?: number;
  batchSize?: number;
  report?: string;
  download?: boolean;
  json?: boolean;
}

export function registerEvalCommand(program: Command): Command {
  return program
    .command('eval')
    .description('evaluate a model on a math benchmark: pass@1, pass@k, maj@k and the language of the thinking')
    .option('--model <dir>', 'model folder (Hugging Face checkpoint) or PEFT LoRA adapter folder')
    .option('--benchmark <name>', 'workspace dataset name, a .jsonl/.json/.parquet file or folder in Hugging Face layout, or a Hugging Face id (owner/name) stored under the workspace')
    .option('--base <dir>', "base model folder for a LoRA adapter (default: adapter_config's base_model_name_or_path)")
    .option('--workspace <dir>', `workspace folder (default $${WORKSPACE_ENV}); results go to its evals/ folder`)
    .option('--evals-dir <dir>', 'store the evaluation here instead of the workspace')
    .option('--name <name>', 'evaluation name (default <model>--<benchmark>); the same name and settings resume')
    .option('--k <n>', 'samples per problem', positiveInt('--k'), 1)
    .option('--temperature <t>', 'sampling temperature (default 0 = greedy for k = 1, 0.6 for k > 1)', number('--temperature', (n) => n >= 0 && Number.isFinite(n), 'a number ≥ 0'))
    .option('--top-p <p>', 'nucleus mass in (0, 1] (default 0.95 when sampling)', number('--top-p', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--max-new-tokens <n>', 'tokens per response at most (default 2048)', positiveInt('--max-new-tokens'))
    .option('--seed <s>', 'sampling seed', number('--seed', Number.isSafeInteger, 'an integer'), 0)
    .option('--template <text>', 'user message template with {problem} (default "{problem}")')
    .option('--no-chat', "send the message as plain text instead of through the model's chat template")
    .option('--lang <code>', 'language the thinking should be in (default: detected from the problems)')
    .option('--problem-column <name>', 'column holding the problem (default: detected)')
    .option('--answer-column <name>', 'column holding the gold answer (default: detected)')
    .option('--id-column <name>', 'column holding a unique problem id (default: detected, else the row number)')
    .option('--limit <n>', 'evaluate only the first n problems', positiveInt('--limit'))
    .option('--batch-size <n>', 'sequences per generation batch when decoding greedily (default 16)', positiveInt('--batch-size'))
    .option('--download', 'fetch a Hugging Face benchmark id (owner/name) into the workspace when it is not there yet (needs network)')
    .option('--report <dir>', 'also write report.md, report.csv and report.html into this folder')
    .option('--json', 'print the summary as one JSON line (the last line of stdout)')
    .action(
      cliAction(async (opts: EvalCliOptions) => {
        if (!opts.model || !opts.benchmark) throw new Error('pass --model DIR and --benchmark NAME (see saenggak eval --help)');
        const workspace = opts.workspace ?? process.env[WORKSPACE_ENV];
        if (!workspace && !opts.evalsDir) throw new Error(`no workspace: pass --workspace DIR (or set ${WORKSPACE_ENV}), or --evals-dir DIR`);
        const { runEvaluation } = await import('../eval/index.ts');
        const columns = { problem: opts.problemColumn, answer: opts.answerColumn, id: opts.idColumn };
        let lastPercent = -1;
        const summary = await runEvaluation({
          model: opts.model,
          base: opts.base,
          benchmark: { source: opts.benchmark, columns, lang: opts.lang, limit: opts.limit, download: opts.download },
          workspace,
          evalsDir: opts.evalsDir,
          name: opts.name,
          k: opts.k,
          temperature: opts.temperature,
          topP: opts.topP,
          maxNewTokens: opts.maxNewTokens,
          seed: opts.seed,
          template: opts.template,
          chat: opts.chat ? undefined : false,
          batchSize: opts.batchSize,
          log: (line) => process.stderr.write(`${line}\n`),
          onProgress: ({ done, total, eval: name }) => {
            const percent = Math.floor((100 * done) / total);
            if (percent === lastPercent) return;
            lastPercent = percent;
            process.stderr.write(`${name}: ${done}/${total} samples (${percent}%)\n`);
          },
        });
        if (opts.report) {
          const { writeReport } = await import('../eval/report.ts');
          const paths = await writeReport(opts.report, [summary], summary.name);
          process.stderr.write(`report: ${paths.markdown}, ${paths.csv}, ${paths.html}\n`);
        }
        if (opts.json) {
          // traffic: host↔device bytes of this command's sessions (the engine's counters).
          process.stdout.write(JSON.stringify({ ...summary, traffic: processTraffic() }) + '\n');
          return;
        }
        const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
        process.stdout.write(
          `${summary.name}: ${summary.n} problems × ${summary.k} samples\n` +
            `  pass@1 ${pct(summary.pass1)}  pass@${summary.k} ${pct(summary.passAtK)}  maj@${summary.k} ${pct(summary.majAtK)}\n` +
            `  thinking in ${summary.lang.target}: consistency ${pct(summary.lang.meanConsistency)}, mostly in target ${pct(summary.lang.targetShare)}; format valid ${pct(summary.formatValid)}\n` +
            `  mean tokens: thinking ${summary.meanThinkingTokens.toFixed(1)}, response ${summary.meanResponseTokens.toFixed(1)}; ${summary.seconds.toFixed(1)} s\n`,
        );
      }),
    );
}
