// The UI language, switchable at run time and remembered in localStorage. Also formats numbers, dates
// and durations the way the chosen language writes them.
import { en, type MessageKey, type Messages } from '../i18n/en.ts';
import { ko } from '../i18n/ko.ts';

export type Locale = 'en' | 'ko';
export const locales: { id: Locale; label: string }[] = [
  { id: 'ko', label: '한국어' },
  { id: 'en', label: 'English' },
];

type Params = Record<string, string | number>;
/** Message keys that come in `.one` / `.other` pairs, named without the suffix. */
export type PluralKey = { [K in MessageKey]: K extends `${infer B}.other` ? B : never }[MessageKey];

const STORAGE_KEY = 'saenggak.locale';
const catalogs: Record<Locale, Messages> = { en, ko };

function initialLocale(): Locale {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ko') return saved;
  return globalThis.navigator?.language?.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

class I18nStore {
  #locale = $state<Locale>(initialLocale());
  #plural = $derived(new Intl.PluralRules(this.#locale));
  #numbers = $derived(new Intl.NumberFormat(this.#locale));
  #compact = $derived(new Intl.NumberFormat(this.#locale, { maximumFractionDigits: 1 }));
  #dates = $derived(new Intl.DateTimeFormat(this.#locale, { dateStyle: 'medium', timeStyle: 'short' }));
  #times = $derived(new Intl.DateTimeFormat(this.#locale, { timeStyle: 'medium' }));

  constructor() {
    this.#apply();
  }

  get locale(): Locale {
    return this.#locale;
  }

  setLocale(locale: Locale): void {
    this.#locale = locale;
    globalThis.localStorage?.setItem(STORAGE_KEY, locale);
    this.#apply();
  }

  /** Translates a key; `{name}` placeholders are filled from params. */
  t = (key: MessageKey, params?: Params): string => {
    const text = catalogs[this.#locale][key] ?? en[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
  };

  /** Picks the `.one` / `.other` form for `count` and fills `{count}` with the formatted number. */
  tn = (key: PluralKey, count: number, params?: Params): string => {
    const form = this.#plural.select(count) === 'one' ? 'one' : 'other';
    return this.t(`${key}.${form}` as MessageKey, { ...params, count: this.number(count) });
  };

  number = (n: number): string => this.#numbers.format(n);
  /** One decimal at most: rates and sizes. */
  decimal = (n: number): string => this.#compact.format(n);
  date = (iso: string | null | undefined): string => (iso ? this.#dates.format(new Date(iso)) : '—');
  time = (iso: string | null | undefined): string => (iso ? this.#times.format(new Date(iso)) : '—');

  /** Seconds as "1:05:09" / "4:07"; language-neutral, which suits a dense status bar. */
  duration = (seconds: number | null | undefined): string => {
    if (seconds == null || !Number.isFinite(seconds)) return '—';
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
  };

  /** Binary sizes: MiB figures come straight from nvidia-smi. */
  mebibytes = (mib: number): string =>
    mib >= 1024 ? `${this.decimal(mib / 1024)} GiB` : `${this.number(Math.round(mib))} MiB`;

  #apply(): void {
    if (typeof document !== 'undefined') document.documentElement.lang = this.#locale;
  }
}

export const i18n = new I18nStore();
