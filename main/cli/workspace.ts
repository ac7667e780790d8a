// `saenggak workspace init DIR`, plus the two helpers every command group shares: where the workspace
// is (--workspace, else $SAENGGAK_WORKSPACE) and how a failed command ends (message on stderr, exit 1).
import type { Command } from 'commander';
import { describeSystemError } from '../store/system-errors.ts';

export const WORKSPACE_ENV = 'SAENGGAK_WORKSPACE';

export function workspaceFrom(option: string | undefined): string {
  const path = option ?? process.env[WORKSPACE_ENV];
  if (!path) throw new Error(`no workspace: pass --workspace DIR or set ${WORKSPACE_ENV}`);
  return path;
}

/**
 * Makes `dir` a workspace before a command writes into it: a missing or empty folder is initialised, an
 * existing workspace is left as it is, and a non-empty folder that is not one is refused before any work.
 * (`train sft --workspace NEW_DIR` used to write runs/ into a bare folder, which then could be neither
 * opened nor initialised.) Returns the path.
 */
export async function ensureWorkspace(dir: string): Promise<string> {
  const { openWorkspace } = await import('../store/index.ts');
  const ws = await openWorkspace(dir, { create: true });
  await ws.close();
  return dir;
}

/** Opens the workspace (--workspace, else $SAENGGAK_WORKSPACE), runs WORK on it and closes it, failed or not. */
export async function withWorkspace<T>(option: string | undefined, work: (ws: import('../store/index.ts').Workspace) => Promise<T>): Promise<T> {
  const { openWorkspace } = await import('../store/index.ts');
  const ws = await openWorkspace(workspaceFrom(option));
  try {
    return await work(ws);
  } finally {
    await ws.close();
  }
}

/** Wraps an action so that any error prints `saenggak: message` on stderr and exits non-zero. */
export function cliAction<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      const message = describeSystemError(error)?.message ?? (error instanceof Error ? error.message : String(error));
      process.stderr.write(`saenggak: ${message}\n`);
      process.exitCode = 1;
    }
  };
}

export function registerWorkspaceCommands(program: Command): void {
  const workspace = program.command('workspace').description('create and inspect workspaces (a folder holding all data)');
  workspace
    .command('init')
    .description('create a workspace in DIR (a missing or empty folder)')
    .argument('<dir>', 'the folder')
    .option('--json', 'print the workspace as one JSON object')
    .action(
      cliAction(async (dir: string, options: { json?: boolean }) => {
        const { openWorkspace } = await import('../store/index.ts');
        const ws = await openWorkspace(dir, { create: true });
        try {
          const info = await ws.info();
          if (options.json) process.stdout.write(JSON.stringify(info) + '\n');
          else process.stdout.write(`Workspace ready at ${info.path} (created ${info.createdAt}, ${info.datasets} datasets)\n`);
        } finally {
          await ws.close();
        }
      }),
    );
}
