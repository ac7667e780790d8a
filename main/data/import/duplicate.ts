// "Was this file imported before?": the one duplicate check both front doors use (the app's
// datasets.import and `saenggak data import`). A file counts as the same when its bytes hash the same,
// whatever its name; what to do then is the caller's policy, decided here so the two doors agree.
import type { DuplicateImport } from '../../store/index.ts';
import { hashFile } from './hash.ts';

/**
 * import: import again; skip: keep the earlier dataset, import nothing; refuse: stop and say so (the app's
 * 'ask', which the UI turns into a question, and the CLI's 'fail').
 */
export type DuplicateAction = 'import' | 'skip' | 'refuse';

export type DuplicateCheck = {
  /** The file's SHA-256 (the import job records it, so the next check finds this import). */
  sha256: string;
  /** The latest earlier import of the same bytes, or null. */
  duplicate: DuplicateImport | null;
  /** What the policy says to do; always 'import' when there is no duplicate. */
  action: DuplicateAction;
};

export type DuplicatePolicy = 'ask' | 'fail' | 'import' | 'skip';

export async function checkDuplicateImport(
  workspace: { datasets: { findImportByHash(sha256: string): Promise<DuplicateImport | null> } },
  path: string,
  policy: DuplicatePolicy,
): Promise<DuplicateCheck> {
  const sha256 = await hashFile(path);
  const duplicate = await workspace.datasets.findImportByHash(sha256);
  const action: DuplicateAction = !duplicate || policy === 'import' ? 'import' : policy === 'skip' ? 'skip' : 'refuse';
  return { sha256, duplicate, action };
}

/** `SUBJECT was already imported into "DATASET" on DATE`: the sentence both doors show. */
export function describeDuplicate(subject: string, duplicate: DuplicateImport): string {
  return `${subject} was already imported into "${duplicate.dataset}" on ${duplicate.importedAt}`;
}
