// `saenggak data build RECIPE.yaml --workspace DIR`: runs a dataset build (resumable: run it again after a
// stop or crash to continue). Registers under the existing `data` command group when there is one.
import type { Command } from 'commander';
import { cliAction, workspaceFrom } from './workspace.ts';
import { stopOnSignals } from './signals.ts';

type BuildCliOptions = { workspace?: string; restart?: boolean; json?: boolean };

export function registerBuildCommands(program: Command): void {
  const data = program.commands.find((c) => c.name() === 'data') ?? program.command('data').description('import, export, list and build datasets');
  data
    .command('build')
    .description('generate teacher responses for a prompt dataset, filter them and write a new dataset (RECIPE.yaml)')
    .argument('<recipe>', 'the build recipe (YAML)')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--restart', 'discard the responses of an earlier build with the same output and generate again')
    .option('--json', 'print {dataset, rows, buildDir, generation, funnel} as one JSON object')
    .action(
      cliAction(async (recipePath: string, options: BuildCliOptions) => {
        const { dirname, resolve } = await import('node:path');
        const { openWorkspace } = await import('../store/index.ts');
        const { readRecipeFile, runBuild } = await import('../data/build/index.ts');
        const recipe = await readRecipeFile(recipePath);
        const ws = await openWorkspace(workspaceFrom(options.workspace));
        const stop = stopOnSignals({ reason: 'stopped by signal; run the same command again to resume' });
        const tty = process.stderr.isTTY;
        try {
          const result = await runBuild({
            workspace: ws,
            recipe,
            baseDir: dirname(resolve(recipePath)),
            restart: options.restart,
            signal: stop.signal,
            log: (line) => process.stderr.write(`${line}\n`),
            onProgress: tty
              ? (p) => {
                  if (p.phase === 'generate') process.stderr.write(`\rgenerated ${p.done} / ${p.total} (${p.failed} failed)   `);
                  else if (p.phase === 'download') process.stderr.write(`\rdownloading prompts: file ${p.file} of ${p.files}, ${(p.done / 2 ** 20).toFixed(1)} / ${(p.total / 2 ** 20).toFixed(1)} MiB   `);
                }
              : undefined,
          });
          if (tty) process.stderr.write('\n');
          if (options.json) {
            process.stdout.write(JSON.stringify({ dataset: result.dataset, rows: result.rows, buildDir: result.buildDir, generation: result.generation, funnel: result.stats.funnel }) + '\n');
          } else {
            process.stdout.write(`Built "${result.dataset}": ${result.rows} rows (stats in ${result.buildDir}/stats.json)\n`);
            for (const step of result.stats.funnel) process.stdout.write(`  ${step.step.padEnd(16)} ${String(step.kept).padStart(8)} kept of ${step.in}\n`);
          }
        } finally {
          stop.release();
          await ws.close();
        }
      }),
    );
}
