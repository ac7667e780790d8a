// Small derived figures of a job shared by the status bar and the Jobs page.
import type { JobRecord } from '../api/types.ts';
import { i18n } from '../stores/i18n.svelte.ts';

/** Fraction done, or null when the total is unknown (the bar is then indeterminate). */
export function jobFraction(job: JobRecord): number | null {
  if (job.status === 'succeeded') return 1;
  const p = job.progress;
  if (!p || p.total === null || p.total <= 0) return null;
  return p.done / p.total;
}

export function jobRate(job: JobRecord): string {
  const p = job.progress;
  if (!p || p.rate === null) return '—';
  const rate = p.rate >= 100 ? i18n.number(Math.round(p.rate)) : i18n.decimal(p.rate);
  return i18n.t('jobs.perSecond', { rate, unit: p.unit });
}

export function statusClass(job: JobRecord): string {
  switch (job.status) {
    case 'succeeded':
      return 'ok';
    case 'failed':
      return 'danger';
    case 'running':
      return 'accent';
    case 'cancelled':
      return 'warn';
    default:
      return '';
  }
}
