// `saenggak pairs ...`: build preference sets from a recipe, export them for TRL, and report labels.
//   pairs build RECIPE.yaml                 collect → score → re-centre → sets (resumable: run again to continue)
//   pairs export --set NAME --out FILE      prompt, chosen, rejected, margin as .jsonl or .parquet
//   pairs label-stats --set NAME            labels per labeler and agreement (human vs scorers, between labelers)
//   pairs list                              the workspace's preference sets
import type { Command } from 'commander';
import { cliAction, withWorkspace } from './workspace.ts';
import { stopOnSignals } from './signals.ts';

type WorkspaceOption = { workspace?: string; json?: boolean };

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

function fixed(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

export function registerPairsCommands(program: Command): void {
  const pairs = program.command('pairs').description('build, label and export preference pairs (chosen/rejected)');

  pairs
    .command('build')
    .description('collect responses, score them with up to three scorers, re-centre, and write preference sets (RECIPE.yaml)')
    .argument('<recipe>', 'the pairs recipe (YAML)')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print the result as one JSON object')
    .action(
      cliAction(async (recipePath: string, options: WorkspaceOption) => {
        const { dirname, resolve } = await import('node:path');
        const { readPairsRecipeFile } = await import('../pairs/recipe.ts');
        const { runPairsBuild } = await import('../pairs/build.ts');
        const recipe = await readPairsRecipeFile(recipePath);
        await withWorkspace(options.workspace, async (ws) => {
          const stop = stopOnSignals({ reason: 'stopped by signal; run the same command again to resume' });
          const tty = process.stderr.isTTY;
          try {
            const result = await runPairsBuild({
              workspace: ws,
              recipe,
              baseDir: dirname(resolve(recipePath)),
              signal: stop.signal,
              log: (line) => process.stderr.write(`${line}\n`),
              onProgress: tty ? (p) => process.stderr.write(`\r${p.phase}${p.message ? ` ${p.message}` : ''}: ${p.done} / ${p.total}   `) : undefined,
            });
            if (tty) process.stderr.write('\n');
            if (options.json) {
              process.stdout.write(JSON.stringify(result) + '\n');
              return;
            }
            process.stdout.write(`Collection "${result.collection}": ${result.responses} responses to ${result.prompts} prompts\n`);
            process.stdout.write(`  ${'scorer'.padEnd(20)} ${'mean'.padStart(10)} ${'std'.padStart(10)} ${'weight'.padStart(8)}\n`);
            for (const s of result.recentre.scorers) process.stdout.write(`  ${s.scorer.padEnd(20)} ${s.mean.toFixed(4).padStart(10)} ${s.std.toFixed(4).padStart(10)} ${s.weight.toFixed(3).padStart(8)}\n`);
            for (const set of result.sets) process.stdout.write(`Set "${set.name}" (${set.construction}): ${set.pairs} pairs, mean margin ${fixed(set.meanMargin)}\n`);
          } finally {
            stop.release();
          }
        });
      }),
    );

  pairs
    .command('export')
    .description('write a preference set as prompt/chosen/rejected (+margin) rows for TRL or verl; .jsonl or .parquet by extension')
    .requiredOption('--set <name>', 'the preference set')
    .requiredOption('--out <file>', 'output file (.jsonl or .parquet)')
    .option('--format <layout>', 'trl-conversational (chat turns: TRL applies the chat template) | trl-plain (plain text, no template) | verl (verl RMDataset) | raw (every stored field)', 'trl-conversational')
    .option('--metadata', 'also write category, lang, chosen_model, rejected_model and pair_id')
    .option('--labels <labeler>', "apply this labeler's labels: swap pairs they reversed, drop ties, both-bad and skips")
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print {path, rows, format, layout, dropped, swapped}')
    .action(
      cliAction(async (options: WorkspaceOption & { set: string; out: string; format: string; metadata?: boolean; labels?: string }) => {
        const { exportPreferenceSet, exportFormatOf, parsePairLayout } = await import('../pairs/export.ts');
        exportFormatOf(options.out); // fail on a bad extension before opening anything
        const layout = parsePairLayout(options.format);
        await withWorkspace(options.workspace, async (ws) => {
          const result = await exportPreferenceSet(ws, { set: options.set, out: options.out, metadata: options.metadata, humanLabels: options.labels, layout });
          if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
          else process.stdout.write(`Wrote ${result.rows} pairs to ${result.path} (${result.format}, ${result.layout})${options.labels ? `; ${result.swapped} swapped, ${result.dropped} dropped by ${options.labels}'s labels` : ''}\n`);
        });
      }),
    );

  pairs
    .command('label-stats')
    .description('labels per labeler and agreement: human vs each scorer and between labelers (percent, Cohen’s kappa), per category')
    .requiredOption('--set <name>', 'the preference set')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print the agreement report as JSON')
    .action(
      cliAction(async (options: WorkspaceOption & { set: string }) => {
        const { readPreferenceSet, labelLog } = await import('../pairs/set-store.ts');
        const { agreementReport } = await import('../pairs/agreement.ts');
        const { currentLabels } = await import('../pairs/labels.ts');
        await withWorkspace(options.workspace, async (ws) => {
          const pairsOfSet = await readPreferenceSet(ws, options.set);
          const records = await labelLog(ws, options.set).records();
          const report = agreementReport(pairsOfSet, records);
          if (options.json) {
            process.stdout.write(JSON.stringify(report) + '\n');
            return;
          }
          for (const [labeler, byPair] of currentLabels(records)) process.stdout.write(`${labeler}: ${byPair.size} of ${pairsOfSet.length} pairs labeled\n`);
          const table = (title: string, rows: typeof report.humanVsScorer) => {
            process.stdout.write(`\n${title}\n  ${'a'.padEnd(16)} ${'b'.padEnd(16)} ${'category'.padEnd(12)} ${'n'.padStart(5)} ${'agree'.padStart(7)} ${'kappa'.padStart(7)}\n`);
            for (const r of rows) process.stdout.write(`  ${r.a.padEnd(16)} ${r.b.padEnd(16)} ${r.category.padEnd(12)} ${String(r.n).padStart(5)} ${percent(r.agreement).padStart(7)} ${fixed(r.kappa).padStart(7)}\n`);
          };
          table('Human vs scorer', report.humanVsScorer);
          if (report.betweenLabelers.length) table('Between labelers', report.betweenLabelers);
        });
      }),
    );

  pairs
    .command('list')
    .description("list the workspace's preference sets")
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print the sets as JSON')
    .action(
      cliAction(async (options: WorkspaceOption) => {
        const { listSets } = await import('../pairs/set-store.ts');
        await withWorkspace(options.workspace, async (ws) => {
          const sets = await listSets(ws);
          if (options.json) process.stdout.write(JSON.stringify(sets) + '\n');
          else for (const s of sets) process.stdout.write(`${s.name.padEnd(24)} ${s.construction.padEnd(14)} ${String(s.pairs).padStart(7)} pairs  from ${s.collection}\n`);
        });
      }),
    );
}
