// `saenggak reward math|lang|format`: the rule-based rewards from a terminal, for checking a single case.
// `--json` prints exactly one JSON object on stdout; the human form is for reading.
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';

/** `--options 10 11 12` (read as A, B, C...) or `--options A=10 B=11` / `"(A) 10"`. */
export function parseChoiceOptions(values: readonly string[] | undefined): string[] | Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const labeled = values.map((v) => /^\(?([A-Za-z])\)?\s*[=:)]\s*(.+)$|^\(([A-Za-z])\)\s*(.+)$/.exec(v.trim()));
  if (labeled.every((m) => m !== null)) {
    return Object.fromEntries(labeled.map((m) => [(m![1] ?? m![3]).toUpperCase(), (m![2] ?? m![4]).trim()]));
  }
  return [...values];
}

const FALLBACKS = ['auto', 'math', 'short', 'last_number', 'none'];

export function registerRewardCommands(program: Command): void {
  const reward = program.command('reward').description('check math answers, language consistency and format of a response');

  reward
    .command('math')
    .description('verify a predicted answer (or a whole response) against the gold answer; --input checks a JSONL file of cases')
    .option('--pred <text>', 'the prediction: a bare answer or a full response with \\boxed{} / "정답:" / LaTeX math')
    .option('--gold <text>', 'the gold answer')
    .option('--input <file>', 'a JSONL file of {pred, gold, options?} rows: one verdict per line, in order')
    .option('--options <choices...>', 'multiple-choice options: values read as A, B, C... or A=value pairs')
    .option('--fallback <mode>', 'without \\boxed{} or an answer phrase: auto | math | short | last_number | none', 'auto')
    .option('--answer-from <region>', 'summary: after a closed </think> only, as the accuracy reward does (an unclosed <think> has no answer) | all', 'summary')
    .option('--json', 'print {correct, extracted, pred, gold, reason}')
    .action(
      cliAction(async (opts: { pred?: string; gold?: string; input?: string; options?: string[]; fallback: string; answerFrom: string; json?: boolean }) => {
        if (!FALLBACKS.includes(opts.fallback)) throw new Error(`--fallback must be ${FALLBACKS.join(', ')}; got "${opts.fallback}"`);
        if (opts.answerFrom !== 'summary' && opts.answerFrom !== 'all') throw new Error(`--answer-from must be summary or all, got "${opts.answerFrom}"`);
        if (opts.input !== undefined && (opts.pred !== undefined || opts.gold !== undefined)) throw new Error('use either --input or --pred/--gold, not both');
        if (opts.input === undefined && (opts.pred === undefined || opts.gold === undefined)) throw new Error('--pred and --gold are required (or --input CASES.jsonl)');
        const { verifyResponse } = await import('../rewards/accuracy-reward.ts');
        const settings = { fallback: opts.fallback as 'auto', answerFrom: opts.answerFrom as 'summary' };
        const cases = opts.input !== undefined ? await (await import('../rewards/math/cases-file.ts')).readMathCases(opts.input) : [{ pred: opts.pred!, gold: opts.gold!, options: parseChoiceOptions(opts.options) }];
        const lines: string[] = [];
        for (const c of cases) {
          // The same function the accuracy reward calls, so an unclosed <think> gets the same verdict here.
          const v = verifyResponse(c.pred, c.gold, c.options, settings);
          const out = { correct: v.correct, extracted: v.extracted, pred: v.pred, gold: v.gold, reason: v.reason };
          lines.push(
            opts.json
              ? JSON.stringify(out)
              : `${v.correct ? 'correct' : 'wrong'} (${v.reason}): extracted ${JSON.stringify(v.extracted)} → ${v.pred ?? '(none)'} vs gold ${v.gold}`,
          );
        }
        process.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
      }),
    );

  reward
    .command('lang')
    .description('language consistency of a text (code, math, markdown, URLs and numbers stripped first)')
    .requiredOption('--text <text>', 'the text to score (e.g. a thinking trace)')
    .option('--lang <code>', 'target language (ko, ja, zh, en, ...) or script name; default: detected from --prompt, else ko')
    .option('--prompt <text>', 'the prompt, to detect the target language')
    .option('--think', 'score only the thinking inside <think>…</think>')
    .option('--json', 'print the full analysis (score, factors, letters per script, stripped spans)')
    .action(
      cliAction(async (opts: { text: string; lang?: string; prompt?: string; think?: boolean; json?: boolean }) => {
        const { languageConsistency } = await import('../rewards/language/consistency.ts');
        const { splitThinking } = await import('../rewards/think-split.ts');
        const text = opts.think ? splitThinking(opts.text).thinking : opts.text;
        const r = languageConsistency(text, { target: opts.lang, prompt: opts.prompt, spans: true });
        if (opts.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        process.stdout.write(
          `score ${r.score.toFixed(3)} (target ${r.target}, detected ${r.detected ?? 'none'}): ratio ${r.ratio.toFixed(3)} × length ${r.lengthFactor.toFixed(3)} × prose ${r.proseFactor.toFixed(3)}\n`,
        );
        for (const reason of r.reasons) process.stdout.write(`  ${reason}\n`);
      }),
    );

  reward
    .command('format')
    .description('format checks: one thinking block, non-empty thinking and summary, optionally a final answer')
    .requiredOption('--text <text>', 'the full response')
    .option('--require-answer <mode>', 'require a final answer in the summary: boxed | any')
    .option('--no-implicit-open', 'do not accept a response that only has the close tag')
    .option('--partial', 'score the share of passed checks instead of all-or-nothing')
    .option('--json', 'print {score, checks, reasons, split}')
    .action(
      cliAction(async (opts: { text: string; requireAnswer?: string; implicitOpen: boolean; partial?: boolean; json?: boolean }) => {
        if (opts.requireAnswer && !['boxed', 'any'].includes(opts.requireAnswer)) {
          throw new Error(`--require-answer must be boxed or any, got "${opts.requireAnswer}"`);
        }
        const { checkFormat } = await import('../rewards/format-reward.ts');
        const r = checkFormat(opts.text, {
          requireAnswer: (opts.requireAnswer as 'boxed' | 'any' | undefined) ?? false,
          allowImplicitOpen: opts.implicitOpen,
          partialCredit: opts.partial ?? false,
        });
        if (opts.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        process.stdout.write(`score ${r.score}\n`);
        for (const c of r.checks) process.stdout.write(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: ${c.reason}\n`);
      }),
    );
}
