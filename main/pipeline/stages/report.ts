// Stage "report": the before/after report from the eval stage's results (Markdown + HTML).
import { existsSync, readFileSync } from 'node:fs';
import { ablationHtml, ablationMarkdown, type AblationSummary } from '../ablation-summary.ts';
import { alignmentHtml, alignmentMarkdown, type AlignmentResults } from '../alignment-report.ts';
import { writePipelineReport, type ReportSection } from '../report.ts';
import type { StageDefinition } from '../stage.ts';
import { readEvalResults } from './eval.ts';

export const reportStage: StageDefinition = {
  name: 'report',
  plan({ recipe, outputs }) {
    const results = typeof outputs.eval?.output === 'string' ? outputs.eval.output : null;
    const ablation = typeof outputs.ablation?.output === 'string' ? outputs.ablation.output : null;
    const alignment = typeof outputs.alignment?.output === 'string' ? outputs.alignment.output : null;
    const section = recipe.report ?? { formats: ['md', 'html'] };
    // `alignment` only when there is one, so other recipes' report hashes stay as they were.
    return { config: { title: section.title ?? recipe.description ?? recipe.name, formats: section.formats, results, ablation, ...(alignment ? { alignment } : {}) }, inputs: [results, ablation, alignment].filter((p): p is string => p !== null) };
  },
  async run(plan, ctx) {
    const { title, formats, results, ablation, alignment } = plan.config as { title: string; formats: ('md' | 'html')[]; results: string | null; ablation?: string | null; alignment?: string };
    const evalResults = results && existsSync(results) ? readEvalResults(results) : null;
    const sections: ReportSection[] = [];
    if (ablation && existsSync(ablation)) {
      const { summary } = JSON.parse(readFileSync(ablation, 'utf8')) as { summary: AblationSummary };
      sections.push({ markdown: ablationMarkdown(summary), html: ablationHtml(summary) });
    }
    if (alignment && existsSync(alignment)) {
      const aligned = JSON.parse(readFileSync(alignment, 'utf8')) as AlignmentResults;
      sections.push({ markdown: alignmentMarkdown(aligned), html: alignmentHtml(aligned) });
    }
    const paths = await writePipelineReport(ctx.dir, title, ctx.history, evalResults, formats, sections);
    ctx.log(`report: ${[paths.markdown, paths.html].filter(Boolean).join(', ')}`);
    return { outputs: { output: paths.html ?? paths.markdown, ...paths } };
  },
};
