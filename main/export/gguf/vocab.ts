// The tokenizer as GGUF metadata (`tokenizer.ggml.*`), following convert_hf_to_gguf.py's `_set_vocab_gpt2`
// and gguf-py's SpecialVocab: byte-level BPE vocabularies (Qwen2/2.5/3, Llama 3) as `gpt2`, tokens by id
// with holes filled by `[PAD{id}]`, token types (added special tokens CONTROL, other added tokens
// USER_DEFINED, holes UNUSED), merges as "a b", special ids from tokenizer_config.json then config.json,
// and the chat template. llama.cpp picks its pre-tokenizer regex by the `tokenizer.ggml.pre` name,
// which convert_hf_to_gguf.py finds by hashing a tokenization; we compare the Split regex instead.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../models/config.ts';
import { TokenType } from './constants.ts';

export interface GgufVocab {
  model: 'gpt2';
  pre: string;
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  addBosToken: boolean | null;
  addEosToken: boolean | null;
  chatTemplate: string | null;
  /** Text of the tokens that end a turn (for an Ollama Modelfile's stop parameters). */
  stopTokens: string[];
}

/** Pre-tokenizer regexes llama.cpp knows, by its name for them (llama-vocab.cpp LLAMA_VOCAB_PRE_TYPE_*). */
const PRE_TOKENIZERS: [string, string][] = [
  ['qwen2', "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"],
  ['llama-bpe', "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"],
];

/** convert_hf_to_gguf.py does_token_look_special: added tokens that act as control tokens even if not marked special. */
function looksSpecial(token: string): boolean {
  return ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(token)
    || (token.startsWith('<|') && token.endsWith('|>'))
    || (token.startsWith('<｜') && token.endsWith('｜>'))
    || (token.startsWith('<start_of_') && token.endsWith('>'));
}

function splitRegexes(node: unknown, out: string[] = []): string[] {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  if (n.type === 'Split' && n.pattern && typeof (n.pattern as Record<string, unknown>).Regex === 'string') out.push((n.pattern as { Regex: string }).Regex);
  if (Array.isArray(n.pretokenizers)) for (const p of n.pretokenizers) splitRegexes(p, out);
  return out;
}

/** The llama.cpp pre-tokenizer name for a tokenizer.json, or throws naming what it found. */
export function preTokenizerName(tokenizerJson: Record<string, unknown>): string {
  const regexes = splitRegexes(tokenizerJson.pre_tokenizer);
  for (const [name, regex] of PRE_TOKENIZERS) if (regexes.includes(regex)) return name;
  throw new Error(`GGUF export: the tokenizer's pre-tokenizer (${regexes.length ? `Split ${JSON.stringify(regexes[0]).slice(0, 80)}…` : JSON.stringify(tokenizerJson.pre_tokenizer).slice(0, 80)}) is not one llama.cpp names; supported: Qwen2/Qwen2.5/Qwen3 (qwen2) and Llama 3 (llama-bpe)`);
}

export function buildGgufVocab(dir: string, config: ModelConfig): GgufVocab {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) throw new Error(`GGUF export: no tokenizer.json in ${dir}; llama.cpp needs the vocabulary inside the GGUF`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const model = json.model as { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] } | undefined;
  if (!model || model.type !== 'BPE' || !model.vocab) throw new Error(`GGUF export: tokenizer.json model is ${model?.type ?? 'missing'}; only byte-level BPE tokenizers (Qwen, Llama 3) are exported`);
  const pre = preTokenizerName(json);
  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as { id: number; content: string; special?: boolean }[];
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab)) byId.set(id, token);
  const addedById = new Map(added.map((t) => [t.id, t]));
  for (const t of added) byId.set(t.id, t.content);
  let maxId = -1;
  for (const id of byId.keys()) if (id > maxId) maxId = id;
  if (maxId >= config.vocabSize) throw new Error(`GGUF export: the tokenizer has id ${maxId} but config.json's vocab_size is ${config.vocabSize}`);
  const tokens: string[] = new Array(config.vocabSize);
  const tokenTypes: number[] = new Array(config.vocabSize);
  for (let id = 0; id < config.vocabSize; id++) {
    const token = byId.get(id);
    if (token === undefined) {
      tokens[id] = `[PAD${id}]`;
      tokenTypes[id] = TokenType.UNUSED;
    } else if (addedById.has(id)) {
      tokens[id] = token;
      tokenTypes[id] = addedById.get(id)!.special || looksSpecial(token) ? TokenType.CONTROL : TokenType.USER_DEFINED;
    } else {
      tokens[id] = token;
      tokenTypes[id] = TokenType.NORMAL;
    }
  }
  const merges = (model.merges ?? []).map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));

  // Special tokens as SpecialVocab reads them: tokenizer_config.json first, config.json for what it lacks.
  const configPath = join(dir, 'tokenizer_config.json');
  const tokenizerConfig = (existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {}) as Record<string, unknown>;
  const idOf = (key: string): number | null => {
    const v = tokenizerConfig[key];
    const text = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : null;
    if (text === null) return null;
    const id = added.find((t) => t.content === text)?.id ?? model.vocab![text];
    return typeof id === 'number' ? id : null;
  };
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : null);
  const eosTokenId = idOf('eos_token') ?? config.eosTokenIds[0] ?? null;
  const stop = new Set<string>();
  for (const id of [eosTokenId, ...config.eosTokenIds]) if (id !== null && id < tokens.length && tokenTypes[id] === TokenType.CONTROL) stop.add(tokens[id]);
  // ChatML turns end with <|im_end|>; base Qwen checkpoints name <|endoftext|> as eos, so list both.
  for (const t of ['<|im_end|>', '<|endoftext|>', '<|eot_id|>']) if (tokens.includes(t)) stop.add(t);
  return {
    model: 'gpt2',
    pre,
    tokens,
    tokenTypes,
    merges,
    bosTokenId: idOf('bos_token') ?? config.bosTokenId,
    eosTokenId,
    padTokenId: idOf('pad_token') ?? config.padTokenId,
    addBosToken: bool(tokenizerConfig.add_bos_token),
    addEosToken: bool(tokenizerConfig.add_eos_token),
    chatTemplate: defaultChatTemplate(dir, tokenizerConfig),
    stopTokens: [...stop],
  };
}

/** The default chat template: tokenizer_config.json's `chat_template` (a string or named list), else chat_template.jinja / .json. */
function defaultChatTemplate(dir: string, tokenizerConfig: Record<string, unknown>): string | null {
  const pick = (v: unknown): string | null => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return (v.find((e) => e && e.name === 'default' && typeof e.template === 'string') as { template: string } | undefined)?.template ?? null;
    return null;
  };
  const fromConfig = pick(tokenizerConfig.chat_template);
  if (fromConfig) return fromConfig;
  if (existsSync(join(dir, 'chat_template.jinja'))) return readFileSync(join(dir, 'chat_template.jinja'), 'utf8');
  if (existsSync(join(dir, 'chat_template.json'))) return pick(JSON.parse(readFileSync(join(dir, 'chat_template.json'), 'utf8')).chat_template);
  return null;
}
