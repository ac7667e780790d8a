// Runs filter steps in order. Each step sees only the survivors of the steps before it; every sample
// records the decision of each step that saw it, and every step records its own counts (the funnel).
import type { BuildSample, FilterContext, FilterDecision, SampleFilter } from './sample.ts';

export type FunnelStep = { step: string; in: number; kept: number; dropped: number; seconds: number };

export type FilterRun = {
  kept: BuildSample[];
  /** Per sample key: step name → decision (steps after the one that dropped it are absent). */
  decisions: Map<string, Record<string, FilterDecision>>;
  /** The step that dropped each dropped sample. */
  droppedBy: Map<string, string>;
  funnel: FunnelStep[];
};

export async function runFilters(samples: readonly BuildSample[], filters: readonly SampleFilter[], ctx: FilterContext): Promise<FilterRun> {
  const names = new Set<string>();
  for (const f of filters) {
    if (names.has(f.name)) throw new Error(`two filter steps are named "${f.name}"; give one a different name`);
    names.add(f.name);
  }
  const decisions = new Map<string, Record<string, FilterDecision>>(samples.map((s) => [s.key, {}]));
  const droppedBy = new Map<string, string>();
  const funnel: FunnelStep[] = [{ step: 'generated', in: samples.length, kept: samples.length, dropped: 0, seconds: 0 }];
  let current = [...samples];
  for (const filter of filters) {
    ctx.signal?.throwIfAborted();
    const started = performance.now();
    const verdicts = await filter.decide(current, ctx);
    if (verdicts.length !== current.length) throw new Error(`filter "${filter.name}" returned ${verdicts.length} decisions for ${current.length} samples`);
    const next: BuildSample[] = [];
    current.forEach((sample, i) => {
      decisions.get(sample.key)![filter.name] = verdicts[i];
      if (verdicts[i].keep) next.push(sample);
      else droppedBy.set(sample.key, filter.name);
    });
    const seconds = (performance.now() - started) / 1000;
    funnel.push({ step: filter.name, in: current.length, kept: next.length, dropped: current.length - next.length, seconds: Math.round(seconds * 1000) / 1000 });
    ctx.log(`${filter.name}: kept ${next.length} of ${current.length}`);
    current = next;
  }
  return { kept: current, decisions, droppedBy, funnel };
}
