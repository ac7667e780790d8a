// A dataset's rows as plain objects, one at a time (the data build's filters and the pairs stage read
// source datasets this way).
import type { Workspace } from './workspace.ts';

export async function* datasetRows(workspace: Workspace, dataset: string): AsyncGenerator<Record<string, unknown>> {
  for await (const batch of workspace.datasets.jsonBatches(dataset)) for (const json of batch) yield JSON.parse(json) as Record<string, unknown>;
}
