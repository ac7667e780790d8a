// Token counts and cost estimates per teacher, summed over the response log.
import type { LoggedResponse } from '../../llm/response-log.ts';

/** Prices in the currency of the user's choice per million tokens. */
export type TeacherPrice = { inputPerMTok: number; outputPerMTok: number };

export type TeacherUsageTotals = {
  teacher: string;
  responses: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  /** Responses whose server reported no usage (their tokens are not in the sums). */
  withoutUsage: number;
  /** null when no price was configured. */
  estimatedCost: number | null;
};

export function usageByTeacher(entries: readonly LoggedResponse[], prices: ReadonlyMap<string, TeacherPrice | undefined>): TeacherUsageTotals[] {
  const totals = new Map<string, TeacherUsageTotals>();
  for (const name of prices.keys()) {
    totals.set(name, { teacher: name, responses: 0, errors: 0, promptTokens: 0, completionTokens: 0, withoutUsage: 0, estimatedCost: null });
  }
  for (const entry of entries) {
    let t = totals.get(entry.teacher);
    if (!t) {
      t = { teacher: entry.teacher, responses: 0, errors: 0, promptTokens: 0, completionTokens: 0, withoutUsage: 0, estimatedCost: null };
      totals.set(entry.teacher, t);
    }
    if (entry.status === 'error') {
      t.errors++;
      continue;
    }
    t.responses++;
    if (entry.usage) {
      t.promptTokens += entry.usage.promptTokens;
      t.completionTokens += entry.usage.completionTokens;
    } else t.withoutUsage++;
  }
  for (const t of totals.values()) {
    const price = prices.get(t.teacher);
    if (price) t.estimatedCost = (t.promptTokens * price.inputPerMTok + t.completionTokens * price.outputPerMTok) / 1e6;
  }
  return [...totals.values()];
}
