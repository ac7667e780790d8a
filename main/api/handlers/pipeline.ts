// Handlers of the pipeline area's contract methods (contracts/pipeline.ts). Runs happen in `pipeline`
// jobs; everything else reads recipe files and pipelines/<name>/.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { HandlerGroup } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { ApiContext } from '../context.ts';
import { requireSafeName } from '../names.ts';
import { checkJobDevice } from './job-device.ts';
import type { PipelineJobInput } from '../../jobs/kinds/pipeline.ts';
import { checkRecipe, readRecipeFile } from '../../pipeline/index.ts';
import { listRecipes, pipelineDetail, reportMarkdown } from '../../pipeline/catalog.ts';
import { verlExportPreview } from '../../export/verl/preview.ts';

function existingRecipe(ctx: ApiContext, path: string): string {
  const absolute = ctx.session.checkPath(path, 'recipe');
  if (!existsSync(absolute)) throw new ApiFailure('not_found', `no recipe file ${absolute}`);
  return absolute;
}

function inScope(ctx: ApiContext, path: string): string[] {
  try {
    const absolute = ctx.session.checkPath(path, 'recipe');
    return existsSync(absolute) ? [absolute] : [];
  } catch {
    return [];
  }
}

export const pipelineHandlers: HandlerGroup<'pipeline'> = {
  // Extra recipes the page remembers: those outside serve mode's folders are left out, like missing ones.
  'pipeline.recipes': (input, ctx) => listRecipes(ctx.session.requireWorkspace().workspace.root, input.extra.flatMap((p) => inScope(ctx, p))),

  'pipeline.get': (input, ctx) => pipelineDetail(ctx.session.requireWorkspace().workspace.root, requireSafeName(input.name, 'pipeline name')),

  'pipeline.start': async (input, ctx) => {
    const { jobs } = ctx.session.requireWorkspace();
    const recipePath = existingRecipe(ctx, input.recipePath);
    const recipe = await readRecipeFile(recipePath); // invalid recipes fail here, before a job starts
    // A device from the Recipe page's picker (#21): checked against the machine, then the job waits in its queue.
    const device = await checkJobDevice(input.device);
    const jobInput: PipelineJobInput = { recipePath, force: input.force, ...(device ? { device } : {}) };
    const job = await jobs.start('pipeline', jobInput, `Pipeline ${recipe.name}`, { name: recipe.name });
    return { jobId: job.id, name: recipe.name };
  },

  'pipeline.check': async (input, ctx) => checkRecipe(await readRecipeFile(existingRecipe(ctx, input.recipePath)), { workspace: ctx.session.requireWorkspace().workspace.root }),

  'pipeline.report': (input, ctx) => {
    const root = ctx.session.requireWorkspace().workspace.root;
    const name = requireSafeName(input.name, 'pipeline name');
    const html = pipelineDetail(root, name).report.html;
    // The HTML report is self-contained (inline CSS and SVG, no scripts): the Recipe page shows it in a
    // sandboxed frame. Capped so a hand-edited giant file cannot flood the page.
    const htmlContent = html && existsSync(html) && statSync(html).size <= 4 * 1024 * 1024 ? readFileSync(html, 'utf8') : null;
    return { markdown: reportMarkdown(root, name), html, htmlContent };
  },

  'pipeline.exportPreview': (input, ctx) => verlExportPreview(ctx.session.requireWorkspace().workspace.root, existingRecipe(ctx, input.recipePath)),
};
