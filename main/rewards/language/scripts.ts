// Unicode scripts that language consistency counts, and which scripts each language is written in.
// Classification is by code-point range (no regex, no Intl): it runs on every character of every rollout.

export const SCRIPTS = [
  'None', 'Hangul', 'Han', 'Kana', 'Latin', 'Cyrillic', 'Greek', 'Arabic', 'Hebrew', 'Thai', 'Devanagari',
] as const;
export type Script = (typeof SCRIPTS)[number];

export const S_NONE = 0;
export const S_HANGUL = 1;
export const S_HAN = 2;
export const S_KANA = 3;
export const S_LATIN = 4;
export const S_CYRILLIC = 5;
export const S_GREEK = 6;

/**
 * Weight of one letter of each script when measuring how much text is in a language. A Hangul syllable,
 * a Han character or a kana carries roughly one morpheme; an alphabetic letter about half as much
 * (English averages ~4.7 letters per word against ~2.5 syllables per Korean word). Without this, a
 * Korean sentence with a few English technical terms would be scored as mostly English.
 */
export const SCRIPT_WEIGHT: readonly number[] = [0, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];

/** Scripts whose one-to-three-letter tokens are usually math symbols (x, AB, ΔABC), not words. */
export function isSymbolScript(script: number): boolean {
  return script === S_LATIN || script === S_GREEK || script === S_CYRILLIC;
}

/** Script id of a BMP code unit (0 when it is not a letter we count). */
export function scriptOf(c: number): number {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? S_LATIN : S_NONE;
  if (c >= 0xac00 && c <= 0xd7a3) return S_HANGUL;
  if (c >= 0x4e00 && c <= 0x9fff) return S_HAN;
  if (c < 0x250) return c >= 0xc0 && c !== 0xd7 && c !== 0xf7 ? S_LATIN : S_NONE;
  if (c >= 0x370 && c <= 0x3ff) return S_GREEK;
  if (c >= 0x400 && c <= 0x52f) return S_CYRILLIC;
  if (c >= 0x590 && c <= 0x5ff) return 8;
  if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f)) return 7;
  if (c >= 0x900 && c <= 0x97f) return 10;
  if (c >= 0xe00 && c <= 0xe7f) return 9;
  if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f) || (c >= 0xa960 && c <= 0xa97f) || (c >= 0xd7b0 && c <= 0xd7ff)) {
    return S_HANGUL;
  }
  if (c >= 0x1e00 && c <= 0x1eff) return S_LATIN;
  if (c >= 0x1f00 && c <= 0x1fff) return S_GREEK;
  if ((c >= 0x3040 && c <= 0x30ff && c !== 0x30fb && c !== 0x30fc) || (c >= 0x31f0 && c <= 0x31ff) || (c >= 0xff66 && c <= 0xff9f)) {
    return S_KANA;
  }
  if ((c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff)) return S_HAN;
  if ((c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a)) return S_LATIN;
  return S_NONE;
}

/** Languages by the scripts they are written in. Latin-script languages cannot be told apart by script. */
const LANGUAGE_SCRIPTS: Record<string, number[]> = {
  ko: [S_HANGUL],
  ja: [S_KANA, S_HAN],
  zh: [S_HAN],
  en: [S_LATIN], fr: [S_LATIN], de: [S_LATIN], es: [S_LATIN], it: [S_LATIN], pt: [S_LATIN], vi: [S_LATIN],
  id: [S_LATIN], nl: [S_LATIN], tr: [S_LATIN], pl: [S_LATIN],
  ru: [S_CYRILLIC], uk: [S_CYRILLIC], bg: [S_CYRILLIC],
  el: [S_GREEK],
  ar: [7], fa: [7],
  he: [8],
  th: [9],
  hi: [10],
};

/** Script ids for a language code ("ko", "ja-JP") or a script name ("Hangul"); throws for unknown targets. */
export function targetScripts(target: string): number[] {
  const code = target.toLowerCase().split(/[-_]/)[0];
  if (LANGUAGE_SCRIPTS[code]) return LANGUAGE_SCRIPTS[code];
  const byName = SCRIPTS.findIndex((s) => s.toLowerCase() === target.toLowerCase());
  if (byName > 0) return [byName];
  throw new Error(`unknown target language "${target}": use a code such as ${Object.keys(LANGUAGE_SCRIPTS).slice(0, 6).join(', ')} or a script name (${SCRIPTS.slice(1).join(', ')})`);
}

const SCRIPT_LANGUAGE = ['', 'ko', 'zh', 'ja', 'en', 'ru', 'el', 'ar', 'he', 'th', 'hi'];

/**
 * The language of a text from its per-script letter mass: the dominant script's language, except that
 * Han with a noticeable share of kana is Japanese. Returns null when there are no letters.
 */
export function languageFromMass(mass: ArrayLike<number>): string | null {
  let best = 0;
  for (let s = 1; s < SCRIPTS.length; s++) if (mass[s] > mass[best]) best = s;
  if (best === 0 || mass[best] === 0) return null;
  if ((best === S_HAN || best === S_KANA) && mass[S_KANA] > 0.1 * (mass[S_HAN] + mass[S_KANA])) return 'ja';
  return SCRIPT_LANGUAGE[best];
}
