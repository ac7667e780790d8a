// Synthetic corpus for `npm run bench:dedup`: ~1 KB samples, half Korean and half English, from Zipf-
// distributed pseudo-word vocabularies (so unrelated samples share common words as real text does), with
// numbers in most sentences. A share of samples are planted near-duplicates of another sample: word
// substitutions, deletions and insertions (paraphrase-level), numbers kept. Deterministic (seeded).

export type DedupCorpus = {
  texts: string[];
  /** For each sample, the cluster id it shares with its planted near-duplicate, or -1. */
  cluster: Int32Array;
  planted: number;
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HANGUL_BASE = 0xac00;

function vocabulary(random: () => number, size: number, korean: boolean): string[] {
  const words = new Set<string>();
  // A few hundred common syllables, as in real Korean text.
  const syllables = Array.from({ length: 400 }, () => String.fromCharCode(HANGUL_BASE + Math.floor(random() * 11172)));
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  while (words.size < size) {
    if (korean) {
      const n = 1 + Math.floor(random() * 3);
      let w = '';
      for (let i = 0; i < n; i++) w += syllables[Math.floor(random() ** 2 * syllables.length)];
      words.add(w);
    } else {
      const n = 2 + Math.floor(random() * 8);
      let w = '';
      for (let i = 0; i < n; i++) w += letters[Math.floor(random() ** 1.5 * 26)];
      words.add(w);
    }
  }
  return [...words];
}

export function makeDedupCorpus(count: number, plantedShare: number, seed = 7): DedupCorpus {
  const random = rng(seed);
  const vocab = { ko: vocabulary(random, 8000, true), en: vocabulary(random, 8000, false) };
  const particles = ['은', '는', '이', '가', '을', '를', '에서', '으로', '의', '와'];
  const zipf = (n: number) => Math.min(n - 1, Math.floor(n * random() ** 3));
  const sentence = (korean: boolean): string[] => {
    const words: string[] = [];
    const len = korean ? 6 + Math.floor(random() * 6) : 8 + Math.floor(random() * 8);
    for (let i = 0; i < len; i++) {
      let w = korean ? vocab.ko[zipf(vocab.ko.length)] : vocab.en[zipf(vocab.en.length)];
      if (korean && random() < 0.5) w += particles[Math.floor(random() * particles.length)];
      words.push(w);
    }
    if (random() < 0.6) words.splice(Math.floor(random() * words.length), 0, String(Math.floor(random() * 1000)));
    return words;
  };
  const sample = (korean: boolean): string[][] => {
    const sentences: string[][] = [];
    let chars = 0;
    while (chars < (korean ? 420 : 1000)) {
      const s = sentence(korean);
      chars += s.join(' ').length + 2;
      sentences.push(s);
    }
    return sentences;
  };
  const render = (sentences: string[][], korean: boolean) => sentences.map((s) => s.join(' ') + (korean ? '다.' : '.')).join(' ');
  const paraphrase = (sentences: string[][], korean: boolean): string[][] =>
    sentences.map((s) => {
      const out: string[] = [];
      for (const w of s) {
        const r = random();
        if (/^\d+$/.test(w)) out.push(w);
        else if (r < 0.08) continue; // deletion
        else if (r < 0.2) out.push(korean ? vocab.ko[zipf(vocab.ko.length)] : vocab.en[zipf(vocab.en.length)]); // substitution
        else out.push(w);
        if (random() < 0.05) out.push(korean ? vocab.ko[zipf(vocab.ko.length)] : vocab.en[zipf(vocab.en.length)]); // insertion
      }
      return out;
    });
  const planted = Math.round(count * plantedShare);
  const originals = count - planted;
  const structures: { sentences: string[][]; korean: boolean }[] = [];
  const texts: string[] = [];
  for (let i = 0; i < originals; i++) {
    const korean = i % 2 === 0;
    const sentences = sample(korean);
    structures.push({ sentences, korean });
    texts.push(render(sentences, korean));
  }
  const cluster = new Int32Array(count).fill(-1);
  // Each planted sample copies a distinct original.
  const chosen = new Set<number>();
  while (chosen.size < planted) chosen.add(Math.floor(random() * originals));
  let id = 0;
  for (const source of chosen) {
    const { sentences, korean } = structures[source];
    texts.push(render(paraphrase(sentences, korean), korean));
    cluster[source] = id;
    cluster[texts.length - 1] = id;
    id++;
  }
  // Shuffle so that copies are not all at the end.
  for (let i = texts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [texts[i], texts[j]] = [texts[j], texts[i]];
    [cluster[i], cluster[j]] = [cluster[j], cluster[i]];
  }
  return { texts, cluster, planted };
}
