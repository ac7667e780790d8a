// The Recipe page's verl export preview: what `saenggak export verl` would write for a recipe (a dry run),
// or why it cannot. It lives with the exporter (which reads pipeline recipes) so that the pipeline never
// imports the exporter; the pipeline handler serves it.
import { basename, join } from 'node:path';
import { workspacePaths } from '../../store/index.ts';

export interface ExportPreview {
  available: boolean;
  reason?: string;
  files?: string[];
  warnings?: string[];
  rows?: Record<string, number>;
  verl?: string;
}

/** What `saenggak export verl` would write for a recipe (a dry run), or why it cannot. */
export async function verlExportPreview(workspace: string, recipePath: string): Promise<ExportPreview> {
  // Loaded on first use, as the pipeline's area modules are: the app starts without the exporter's imports.
  let mod: typeof import('./export.ts');
  try {
    mod = await import('./export.ts');
  } catch (error) {
    return { available: false, reason: `not available: the verl module failed to load (${(error as Error).message})` };
  }
  try {
    const result = await mod.exportVerl({ recipe: recipePath, out: join(workspacePaths(workspace).artifacts, 'verl', basename(recipePath, '.yaml')), workspace, dryRun: true });
    const warnings = result.warnings.map((w) => (typeof w === 'string' ? w : ((w as { message?: string }).message ?? JSON.stringify(w))));
    return { available: true, files: result.files, warnings, rows: result.rows, verl: result.verl };
  } catch (error) {
    return { available: true, reason: (error as Error).message };
  }
}
