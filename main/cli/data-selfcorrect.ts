// `saenggak data selfcorrect --source DATASET --out NAME [--teacher URL --teacher-model M] [--json]`: Korean
// self-correction code-switching traces (main/data/selfcorrect). Registers under the `data` group, as
// `data build` does (cli/build.ts).
import type { Command } from 'commander';
import { cliAction, workspaceFrom } from './workspace.ts';

export function registerSelfCorrectCommand(program: Command): void {
  const data = program.commands.find((c) => c.name() === 'data') ?? program.command('data').description('import, export, list and build datasets');
  data
    .command('selfcorrect')
    .description('Korean self-correction code-switching traces (English start or drift, or a checked mistake, then "잠깐, 다시 확인해 보자…" and Korean to a verified answer)')
    .requiredOption('--source <dataset>', 'problems with gold answers (prompt / answer columns); the arithmetic task is written by rule, other rows need --teacher')
    .requiredOption('--out <name>', 'the dataset to write')
    .option('--teacher <url>', 'OpenAI-compatible endpoint that writes traces for rows that are not the arithmetic task (API key from $SAENGGAK_TEACHER_API_KEY)')
    .option('--teacher-model <name>', 'model name sent to the teacher')
    .option('--kinds <mix>', 'mix of kinds by ratio', 'english-start=0.4,drift=0.3,mistake=0.3')
    .option('--plain-share <p>', 'share of rows kept with their original trace', '0')
    .option('--prompt-column <name>', 'problem column', 'prompt')
    .option('--answer-column <name>', 'gold answer column', 'answer')
    .option('--limit <n>', 'use at most this many source rows')
    .option('--attempts <n>', 'teacher tries per row before it is dropped', '2')
    .option('--seed <n>', 'seed for kinds and switch points', '0')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print {dataset, rows, sourceRows, perKind, byRule, byTeacher, dropped} as one JSON object')
    .action(
      cliAction(async (options: { source: string; out: string; teacher?: string; teacherModel?: string; kinds: string; plainShare: string; promptColumn: string; answerColumn: string; limit?: string; attempts: string; seed: string; workspace?: string; json?: boolean }) => {
        const kinds: Record<string, number> = {};
        for (const part of options.kinds.split(',').filter(Boolean)) {
          const m = /^([\w-]+)=([0-9]*\.?[0-9]+)$/.exec(part.trim());
          if (!m) throw new Error(`--kinds expects KIND=RATIO,… (e.g. english-start=0.5,mistake=0.5), got "${options.kinds}"`);
          kinds[m[1]] = Number(m[2]);
        }
        const int = (flag: string, v: string, min: number) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got "${v}"`);
          return n;
        };
        if (options.teacher && !options.teacherModel) throw new Error('--teacher needs --teacher-model (the model name the endpoint serves)');
        const { openWorkspace } = await import('../store/index.ts');
        const { buildSelfCorrectDataset, SELF_CORRECTION_SYSTEM_PROMPT } = await import('../data/selfcorrect/index.ts');
        const { TeacherClient } = await import('../data/build/index.ts');
        const teacher = options.teacher
          ? new TeacherClient({ name: 'teacher', baseUrl: options.teacher, model: options.teacherModel!, apiKey: process.env.SAENGGAK_TEACHER_API_KEY, systemPrompt: SELF_CORRECTION_SYSTEM_PROMPT, log: (line) => process.stderr.write(line + '\n') })
          : undefined;
        const ws = await openWorkspace(workspaceFrom(options.workspace));
        try {
          const result = await buildSelfCorrectDataset({
            workspace: ws,
            source: options.source,
            output: options.out,
            teacher,
            kinds,
            plainShare: Number(options.plainShare),
            columns: { prompt: options.promptColumn, answer: options.answerColumn },
            limit: options.limit === undefined ? undefined : int('--limit', options.limit, 1),
            attempts: int('--attempts', options.attempts, 1),
            seed: int('--seed', options.seed, 0),
            log: (line) => process.stderr.write(line + '\n'),
          });
          if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
          else {
            process.stdout.write(`Wrote ${result.rows} self-correction rows to "${result.dataset}" (${result.byRule} by rule, ${result.byTeacher} by the teacher, ${result.perKind.plain} plain)\n`);
            const d = result.dropped;
            if (d.missingColumns + d.needsTeacher + d.teacherFailed > 0) process.stdout.write(`  dropped: ${d.missingColumns} without prompt/answer, ${d.needsTeacher} needing a teacher, ${d.teacherFailed} failing the checks\n`);
          }
        } finally {
          teacher?.close();
          await ws.close();
        }
      }),
    );
}
