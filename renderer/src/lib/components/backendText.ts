// What the back end sends as stable codes, in the UI language (#24: "Korean everywhere"). The back end never
// depends on the UI's catalogue: reward reasons come as codes with parameters, GRPO metrics under their
// logged keys, and the report's HTML marks each text with a `report.*` key (data-i18n attributes). A code
// without a message falls back to the back end's English, so a new code shows English, never a raw key.
import { en, type MessageKey } from '../i18n/en.ts';
import { i18n } from '../stores/i18n.svelte.ts';

type Params = Record<string, string | number>;

const known = (key: string): key is MessageKey => Object.hasOwn(en, key);

/** A math verdict reason ('equal_rational', 'not_equal', ...) as words; unknown reasons as they are. */
export function verdictText(reason: string): string {
  const key = `rewards.verdict.${reason}`;
  return known(key) ? i18n.t(key) : reason;
}

/** A reward component's reason from its codes, or the English reason when a code has no message. */
export function reasonText(codes: readonly { code: string; params?: Params }[] | undefined, english: string): string {
  if (!codes?.length) return english;
  const parts: string[] = [];
  for (const { code, params } of codes) {
    const key = `rewards.why.${code}`;
    if (!known(key)) return english;
    // The verdict inside the accuracy reason is itself a code.
    const filled = params && typeof params.verdict === 'string' ? { ...params, verdict: verdictText(params.verdict) } : params;
    parts.push(i18n.t(key, filled));
  }
  return parts.join('; ');
}

/** A logged metric's name (`train.series.<key>`), prefixed by its split when not 'train'. */
export function metricName(metric: { split: string; key: string }): string {
  const key = `train.series.${metric.key}`;
  const name = known(key) ? i18n.t(key) : metric.key;
  if (metric.split === 'train') return name;
  const split = `train.series.split.${metric.split}`;
  return `${known(split) ? i18n.t(split) : metric.split}/${name}`;
}

/**
 * Markup written by main/pipeline/report.ts (report body, chart SVG) with each marked text replaced by its
 * `report.*` message in the UI language. Only `report.` keys are honoured; the markup is already sanitized.
 */
export function localizeMarkup(html: string): string {
  if (!html.includes('data-i18n')) return html;
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const message = (key: string | null): string | null => (key && key.startsWith('report.') && known(key) ? i18n.t(key) : null);
  for (const el of Array.from(doc.body.querySelectorAll('[data-i18n]'))) {
    const key = el.getAttribute('data-i18n') ?? '';
    if (!key.startsWith('report.') || !known(key)) continue;
    let filled: Record<string, string | number | null>;
    try {
      const raw = JSON.parse(el.getAttribute('data-i18n-args') ?? '{}') as Record<string, string | number | { key: string }>;
      // A parameter may itself be a key (a model's role inside a chart label, a run's status in a summary);
      // one without a message leaves the element's English as it is, never a raw key.
      filled = Object.fromEntries(Object.entries(raw).map(([name, v]) => [name, typeof v === 'object' && v ? message(v.key) : v]));
    } catch {
      continue;
    }
    if (Object.values(filled).some((v) => v === null)) continue;
    const params = filled as Params;
    el.textContent = i18n.t(key, params);
  }
  // Charts' accessible names.
  for (const el of Array.from(doc.body.querySelectorAll('[data-i18n-aria]'))) {
    const text = message(el.getAttribute('data-i18n-aria'));
    if (text) el.setAttribute('aria-label', text);
  }
  return doc.body.innerHTML;
}
