// `saenggak pipeline run|check|status`: the whole recipe from one file (main/pipeline).
//   run RECIPE.yaml --workspace DIR [--json] [--force STAGE...]   with --json the last stdout line is
//       {stages: [{name, status, seconds, accuracy?}], report, before: {accuracy, lang}, after: {accuracy, lang}}
//   check RECIPE.yaml [--workspace DIR] [--json]                   validates offline, names missing downloads
//   status NAME --workspace DIR [--json]                          the saved state of a pipeline
import type { Command } from 'commander';
import { cliAction, workspaceFrom } from './workspace.ts';
import { stopOnSignals } from './signals.ts';

type RunOptions = { workspace?: string; json?: boolean; force?: string[] };
type CheckOptions = { workspace?: string; json?: boolean };

function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  return s >= 90 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

export function registerPipelineCommands(program: Command): void {
  const pipeline = program.command('pipeline').description('run the whole recipe (data → SFT → pairs → reward model → GRPO → evaluation → report) from one file');

  pipeline
    .command('run')
    .description('run every stage of RECIPE.yaml in order; unchanged finished stages are skipped, interrupted ones resume')
    .argument('<recipe>', 'the pipeline recipe (YAML)')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--force <stages...>', 'rerun these stages even when unchanged ("all" for every stage)')
    .option('--json', 'print {stages, report, before, after} as the last stdout line')
    .action(
      cliAction(async (recipePath: string, options: RunOptions) => {
        const { readRecipeFile, runPipeline, STAGE_ORDER } = await import('../pipeline/index.ts');
        const recipe = await readRecipeFile(recipePath);
        const force = options.force?.includes('all') ? 'all' : (options.force ?? []);
        if (force !== 'all') for (const s of force) if (!(STAGE_ORDER as readonly string[]).includes(s)) throw new Error(`--force ${s}: no such stage (stages: ${STAGE_ORDER.join(', ')})`);
        const stop = stopOnSignals({ notice: 'stopping at the next step boundary (run the same command again to resume)…' });
        let lastLine = '';
        try {
          const result = await runPipeline(recipe, {
            workspace: workspaceFrom(options.workspace),
            recipePath,
            signal: stop.signal,
            force: force as never,
            log: (line) => process.stderr.write(`${line}\n`),
            onUpdate: (state) => {
              if (!process.stderr.isTTY) return;
              const running = Object.entries(state.stages).find(([, s]) => s?.status === 'running');
              if (!running?.[1]?.progress) return;
              const [name, s] = running;
              const p = s.progress!;
              const line = `\r${name}: ${Number.isInteger(p.done) ? p.done : p.done.toFixed(2)} / ${p.total} ${p.unit}, ETA ${formatSeconds(s.etaSeconds)}   `;
              if (line !== lastLine) process.stderr.write((lastLine = line));
            },
          });
          if (lastLine) process.stderr.write('\n');
          const line = { stages: result.stages, report: result.report, before: result.before, after: result.after };
          if (options.json) process.stdout.write(JSON.stringify(line) + '\n');
          else {
            for (const s of result.stages) process.stdout.write(`${s.name.padEnd(12)} ${s.status.padEnd(12)} ${formatSeconds(s.seconds)}\n`);
            if (result.before && result.after) process.stdout.write(`held-out accuracy ${(result.before.accuracy * 100).toFixed(1)}% → ${(result.after.accuracy * 100).toFixed(1)}%, target-language share ${(result.before.lang * 100).toFixed(1)}% → ${(result.after.lang * 100).toFixed(1)}%\n`);
            if (result.report) process.stdout.write(`report: ${result.report}\n`);
          }
          if (result.status === 'failed') {
            process.stderr.write(`saenggak: pipeline failed: ${result.error}\n`);
            process.exitCode = 1;
          } else if (result.status === 'stopped') process.exitCode = 130;
        } finally {
          stop.release();
        }
      }),
    );

  pipeline
    .command('check')
    .description('validate RECIPE.yaml offline before anything runs: stage configs, paths, models, downloads, memory per stage')
    .argument('<recipe>', 'the pipeline recipe (YAML)')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE, else the current folder)')
    .option('--json', 'print the findings as one JSON object')
    .action(
      cliAction(async (recipePath: string, options: CheckOptions) => {
        const { readRecipeFile, checkRecipe, formatCheckReport } = await import('../pipeline/index.ts');
        const recipe = await readRecipeFile(recipePath);
        const report = await checkRecipe(recipe, { workspace: options.workspace ?? process.env.SAENGGAK_WORKSPACE ?? process.cwd() });
        process.stdout.write((options.json ? JSON.stringify(report) : formatCheckReport(report)) + '\n');
        if (!report.ok) process.exitCode = 1;
      }),
    );

  pipeline
    .command('status')
    .description('the saved state of a pipeline: each stage with status, progress, ETA')
    .argument('<name>', 'the recipe name')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print the state as JSON')
    .action(
      cliAction(async (name: string, options: CheckOptions) => {
        const { readPipelineState } = await import('../pipeline/index.ts');
        const state = readPipelineState(workspaceFrom(options.workspace), name);
        if (!state) throw new Error(`no pipeline named ${name} has run in this workspace`);
        if (options.json) {
          process.stdout.write(JSON.stringify(state) + '\n');
          return;
        }
        process.stdout.write(`${state.name}: ${state.status} (updated ${state.updatedAt})\n`);
        for (const [stage, s] of Object.entries(state.stages)) {
          const progress = s?.progress ? ` ${s.progress.done}/${s.progress.total} ${s.progress.unit}, ETA ${formatSeconds(s.etaSeconds)}` : '';
          process.stdout.write(`  ${stage.padEnd(12)} ${(s?.status ?? '').padEnd(12)} ${formatSeconds(s?.seconds)}${progress}${s?.error ? `  ${s.error}` : ''}\n`);
        }
        if (state.report?.html) process.stdout.write(`report: ${state.report.html}\n`);
      }),
    );
}
