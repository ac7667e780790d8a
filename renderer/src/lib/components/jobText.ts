// Small derived figures of a job shared by the status bar and the Jobs page.
import type { JobRecord } from '../api/types.ts';
import { en, type MessageKey } from '../i18n/en.ts';
import { i18n } from '../stores/i18n.svelte.ts';

/**
 * The job's title in the UI language: `jobs.kind.<kind>[.<variant>]` filled from the record's structured params; the
 * back end's English title for kinds without a message (or records written before params existed).
 */
export function jobTitle(job: JobRecord): string {
  // A kind with several titles (train vs evaluate) names its message with a `variant` param.
  const variant = typeof job.params?.variant === 'string' ? `.${job.params.variant}` : '';
  const key = `jobs.kind.${job.kind}${variant}`;
  if (!job.params || !Object.hasOwn(en, key)) return job.title;
  const text = i18n.t(key as MessageKey, job.params);
  // A placeholder left unfilled means the params do not match the message: the English title is better.
  return /\{\w+\}/.test(text) ? job.title : text;
}

/** Fraction done, or null when the total is unknown (the bar is then indeterminate). */
export function jobFraction(job: JobRecord): number | null {
  if (job.status === 'succeeded') return 1;
  const p = job.progress;
  if (!p || p.total === null || p.total <= 0) return null;
  return p.done / p.total;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** An amount in a job's unit: bytes in binary multiples, anything else as a number and its unit. */
export function amount(value: number, unit: string): string {
  if (unit === 'bytes') {
    let v = value;
    let k = 0;
    while (v >= 1024 && k < BYTE_UNITS.length - 1) {
      v /= 1024;
      k++;
    }
    return `${k === 0 ? i18n.number(Math.round(v)) : i18n.decimal(v)} ${BYTE_UNITS[k]}`;
  }
  const n = value >= 100 || Number.isInteger(value) ? i18n.number(Math.round(value)) : i18n.decimal(value);
  return `${n} ${unit}`;
}

/** "1.2 MiB / 97.2 MiB" or "1,200 rows" when the total is unknown. */
export function jobDone(job: JobRecord): string {
  const p = job.progress;
  if (!p) return '';
  return p.total !== null ? `${amount(p.done, p.unit)} / ${amount(p.total, p.unit)}` : amount(p.done, p.unit);
}

export function jobRate(job: JobRecord): string {
  const p = job.progress;
  if (!p || p.rate === null) return '—';
  return i18n.t('jobs.perSecond', { amount: amount(p.rate, p.unit) });
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
