// The back end's state shared by every call on every transport: the open workspace, its job runner, the
// event bus, and where uploads go. One session per app (Electron window or serve process).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openWorkspace, type Workspace } from '../store/index.ts';
import { JobRunner, type JobRunnerOptions } from '../jobs/runner.ts';
import type { WorkspaceInfo } from './contract.ts';
import { ApiFailure } from './errors.ts';
import { PathScope } from './path-scope.ts';
import { EventBus } from './events.ts';

export type OpenWorkspaceState = { workspace: Workspace; jobs: JobRunner };

export type AppSessionOptions = {
  /** Options for each workspace's job runner (tests pass extra kinds or a launcher). */
  jobs?: Omit<JobRunnerOptions, 'workspace' | 'onUpdate'>;
};

/** Job kinds whose success means datasets were created or replaced. */
const DATASET_WRITING_KINDS = new Set(['import', 'build', 'pairs', 'pipeline']);

export class AppSession {
  readonly events = new EventBus();
  readonly #options: AppSessionOptions;
  #current: OpenWorkspaceState | null = null;
  /** Serialises workspace switches so two opens cannot interleave. */
  #switching: Promise<unknown> = Promise.resolve();
  /** Serve mode's file-system scope; null in the desktop app (its user picks files with native dialogs). */
  #scope: PathScope | null = null;
  /** Things that live as long as the session (the Devices page's reward server), stopped by close(). */
  readonly #onClose: (() => Promise<void>)[] = [];

  constructor(options: AppSessionOptions = {}) {
    this.#options = options;
  }

  /** From now on, paths from callers must lie inside these folders or the open workspace (serve mode). */
  restrictPaths(roots: readonly string[]): void {
    this.#scope = new PathScope(roots);
  }

  /** The allowed folders (besides the open workspace), or null when paths are not restricted. */
  get allowedPaths(): readonly string[] | null {
    return this.#scope?.roots ?? null;
  }

  /**
   * A caller's path, resolved; in serve mode refused (`forbidden`) unless it lies inside the open workspace
   * or an allowed folder. `what` names it in the message ("export target", "recipe").
   */
  checkPath(path: string, what: string): string {
    return this.#scope ? this.#scope.check(path, what, this.#current?.workspace.root) : resolve(path);
  }

  get current(): OpenWorkspaceState | null {
    return this.#current;
  }

  /** The open workspace, or a `no_workspace` failure the UI turns into "open a workspace first". */
  requireWorkspace(): OpenWorkspaceState {
    if (!this.#current) throw new ApiFailure('no_workspace', 'No workspace is open: open or create one first.');
    return this.#current;
  }

  async openWorkspace(path: string, create = false): Promise<WorkspaceInfo> {
    const next = this.#switching.then(async () => {
      // Checked here, in the queue, against the workspace open when this call's turn comes.
      if (this.#scope) this.checkPath(path, create ? 'new workspace folder' : 'workspace');
      const workspace = await openWorkspace(path, { create });
      if (this.#current && this.#current.workspace.root === workspace.root) {
        await workspace.close();
        return this.#current.workspace.info();
      }
      const jobs = new JobRunner({
        ...this.#options.jobs,
        workspace: workspace.root,
        onUpdate: (record) => {
          this.events.emit('job.updated', record);
          // A finished job that wrote datasets (an import, a build, preference sets, a pipeline's data
          // stage): tell the lists to refresh. `name` is the dataset when the result names one.
          if (record.status === 'succeeded' && DATASET_WRITING_KINDS.has(record.kind)) {
            const result = record.result as { dataset?: unknown; sets?: { name?: unknown }[] } | undefined;
            const names = [result?.dataset, ...(result?.sets ?? []).map((s) => s.name)].filter((n): n is string => typeof n === 'string');
            for (const name of names.length ? names : ['*']) this.events.emit('datasets.changed', { name });
          }
        },
      });
      await jobs.recoverInterrupted();
      await this.#closeCurrent();
      this.#current = { workspace, jobs };
      const info = await workspace.info();
      this.events.emit('workspace.changed', info);
      return info;
    });
    this.#switching = next.catch(() => undefined);
    return next;
  }

  /** Folder where uploaded files land before an import job reads them (inside the workspace's tmp/). */
  async uploadsDir(): Promise<string> {
    const dir = join(this.requireWorkspace().workspace.paths.tmp, 'uploads');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Registers a stop that close() awaits (after the workspace closes; a failing stop does not stop the others). */
  onClose(stop: () => Promise<void>): void {
    this.#onClose.push(stop);
  }

  async close(): Promise<void> {
    await this.#switching;
    await this.#closeCurrent();
    await Promise.allSettled(this.#onClose.splice(0).map((stop) => stop()));
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    this.#current = null;
    if (!current) return;
    await current.jobs.close();
    await current.workspace.close();
  }
}
