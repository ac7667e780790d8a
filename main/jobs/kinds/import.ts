// Placeholder: the import job kind (wired to the store's importDataset below).
import type { JobContext } from '../job-kind.ts';

export async function run(_input: unknown, _ctx: JobContext): Promise<unknown> {
  throw new Error('import job not wired yet');
}
