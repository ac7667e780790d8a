// `saenggak hub push | pull`: models to and from the Hugging Face Hub over its HTTP API. The token comes
// from HF_TOKEN or the standard token file (HF_TOKEN_PATH, $HF_HOME/token, ~/.cache/huggingface/token) and
// is never printed; HF_ENDPOINT (or --endpoint) points at a mirror or a local Hub.
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';

export function registerHubCommands(program: Command): void {
  const hub = program.command('hub').description('push models to and pull them from the Hugging Face Hub');

  hub
    .command('push')
    .description('upload a model folder to a Hub model repo (created if missing), with a generated model card')
    // <folder>, not <dir>: the CLI-wide model resolver adds its own --revision to <dir> options, and here
    // --revision is the branch to push to.
    .requiredOption('--model <folder>', 'model or adapter folder (e.g. runs/<name>/output)')
    .requiredOption('--repo <id>', 'user/name')
    .option('--private', 'create the repo private')
    .option('--revision <branch>', 'branch to commit to', 'main')
    .option('--message <text>', 'commit message')
    .option('--no-card', 'do not add a generated README.md when the folder has none')
    .option('--endpoint <url>', 'Hub URL (default: HF_ENDPOINT or https://huggingface.co)')
    .option('--json', 'print the result as JSON')
    .action(
      cliAction(async (opts: { model: string; repo: string; private?: boolean; revision: string; message?: string; card: boolean; endpoint?: string; json?: boolean }) => {
        const { findHubToken, tokenFilePath } = await import('../export/hub/token.ts');
        const { pushModel } = await import('../export/hub/push.ts');
        const { buildModelCard, cardFacts } = await import('../export/hub/model-card.ts');
        const { existsSync } = await import('node:fs');
        if (!existsSync(opts.model)) throw new Error(`--model ${opts.model} does not exist`);
        const found = findHubToken();
        if (!found) throw new Error(`no Hugging Face token: set HF_TOKEN or write one to ${tokenFilePath()} (huggingface-cli login does)`);
        const extraFiles = opts.card ? new Map([['README.md', buildModelCard(cardFacts(opts.model, opts.repo))]]) : undefined;
        const result = await pushModel({
          modelDir: opts.model, repo: opts.repo, token: found.token, private: opts.private, revision: opts.revision, message: opts.message,
          endpoint: opts.endpoint ?? process.env.HF_ENDPOINT, extraFiles,
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
        else process.stdout.write(`Pushed ${result.files.length} files to ${result.repo}${result.commitUrl ? ` (${result.commitUrl})` : ''}\n`);
      }),
    );

  hub
    .command('pull')
    .description('download a Hub model repo into a folder')
    .requiredOption('--repo <id>', 'user/name')
    .requiredOption('--out <dir>', 'folder to write')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--endpoint <url>', 'Hub URL (default: HF_ENDPOINT or https://huggingface.co)')
    .option('--json', 'print the result as JSON')
    .action(
      cliAction(async (opts: { repo: string; out: string; revision: string; endpoint?: string; json?: boolean }) => {
        const { findHubToken } = await import('../export/hub/token.ts');
        const { pullModel } = await import('../export/hub/pull.ts');
        const result = await pullModel({
          repo: opts.repo, outDir: opts.out, revision: opts.revision, token: findHubToken()?.token ?? null,
          endpoint: opts.endpoint ?? process.env.HF_ENDPOINT,
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
        else process.stdout.write(`Pulled ${result.files.length} files of ${result.repo} into ${opts.out}\n`);
      }),
    );
}
