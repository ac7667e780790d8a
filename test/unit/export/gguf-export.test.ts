// `model export --format gguf|ollama`: what we write is read back by our own GGUF reader (header, metadata,
// tensor infos, alignment, data against the safetensors source computed independently here), and loaded
// by real llama.cpp (its prebuilt Node binding, an optional dependency for linux-x64) whose tokenization
// and next-token probabilities are compared with our float64 reference forward pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readSafetensors, writeSafetensors, float16BitsToFloat32, float32ToFloat16Bits } from '../../../main/engine/safetensors.ts';
import { GGMLType, GGUFValueType, TokenType } from '../../../main/export/gguf/constants.ts';
import { exportGguf } from '../../../main/export/gguf/export-gguf.ts';
import { ggufTensorName } from '../../../main/export/gguf/tensor-names.ts';
import { GGUFFile } from '../../../main/export/gguf/gguf-reader.ts';
import { tensorType, useMoreBits } from '../../../main/export/gguf/quant-plan.ts';
import { createModelFolder } from '../../../main/models/init.ts';
import { loraConfig, writeLoraAdapter } from '../../../main/models/peft.ts';
import { referenceSequenceLoss } from '../../../main/models/reference.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

/** A model folder from a preset, cut to `layers` layers, with embeddings scaled so next-token probabilities are far from uniform. */
function makeModel(family: 'qwen2' | 'qwen3' | 'llama', preset: 'tiny' | 'small', options: { layers?: number; embedScale?: number } = {}): string {
  const dir = join(tempDir('gguf-'), `${family}-${preset}`);
  createModelFolder({ family, preset, outDir: dir, seed: 5 });
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  if (options.layers) cfg.num_hidden_layers = options.layers;
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const { tensors } = readSafetensors(join(dir, 'model.safetensors'));
  for (const name of [...tensors.keys()]) {
    const m = /layers\.(\d+)\./.exec(name);
    if (m && options.layers && Number(m[1]) >= options.layers) tensors.delete(name);
    else if (name !== 'model.embed_tokens.weight' && !name.includes('norm')) {
      // Random biases and norm-free matrices as they are; give q/k biases values so a wrong permutation shows.
      if (name.endsWith('.bias')) tensors.get(name)!.data.forEach((_, i, a) => ((a as Float32Array)[i] = Math.sin(i + name.length) * 0.5));
    }
  }
  const embed = tensors.get('model.embed_tokens.weight')!.data as Float32Array;
  for (let i = 0; i < embed.length; i++) embed[i] *= options.embedScale ?? 30;
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

test('tiny Qwen3 → f32 GGUF: header, metadata, tensor infos, alignment and data read back', async () => {
  const dir = makeModel('qwen3', 'tiny');
  const out = join(tempDir('gguf-'), 'q3.gguf');
  const progress: number[] = [];
  const result = await exportGguf({ modelDir: dir, outPath: out, quant: 'f32', onProgress: (p) => progress.push(p.index) });
  const f = GGUFFile.open(out);
  try {
    const h = f.header;
    assert.equal(h.version, 3);
    assert.equal(h.alignment, 32);
    assert.equal(h.dataOffset % 32, 0);
    for (const t of h.tensors) assert.equal(t.offset % 32, 0, `${t.name} offset ${t.offset}`);
    assert.equal(h.fileSize, result.bytes);
    assert.deepEqual(progress, h.tensors.map((_, i) => i + 1));

    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(f.value('general.architecture'), 'qwen3');
    assert.equal(f.value('general.file_type'), 0);
    assert.equal(f.value('qwen3.block_count'), cfg.num_hidden_layers);
    assert.equal(f.value('qwen3.embedding_length'), cfg.hidden_size);
    assert.equal(f.value('qwen3.attention.head_count'), cfg.num_attention_heads);
    assert.equal(f.value('qwen3.attention.head_count_kv'), cfg.num_key_value_heads);
    assert.equal(f.value('qwen3.attention.key_length'), cfg.head_dim);
    assert.equal(f.value('qwen3.rope.freq_base'), Math.fround(cfg.rope_theta));
    assert.equal(f.metadata.get('qwen3.attention.layer_norm_rms_epsilon')!.type, GGUFValueType.FLOAT32);

    const tj = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    const tc = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(f.value('tokenizer.ggml.model'), 'gpt2');
    assert.equal(f.value('tokenizer.ggml.pre'), 'qwen2');
    const tokens = f.value('tokenizer.ggml.tokens') as string[];
    const types = f.value('tokenizer.ggml.token_type') as number[];
    assert.equal(tokens.length, cfg.vocab_size);
    assert.equal(tokens[tj.model.vocab['Ġhello']], 'Ġhello');
    const imEnd = tj.added_tokens.find((t: { content: string }) => t.content === '<|im_end|>').id;
    assert.equal(tokens[imEnd], '<|im_end|>');
    assert.equal(types[imEnd], TokenType.CONTROL);
    assert.equal(types[tj.model.vocab['Ġhello']], TokenType.NORMAL);
    const think = tj.added_tokens.find((t: { content: string }) => t.content === '<think>');
    assert.equal(types[think.id], TokenType.USER_DEFINED, '<think> is an added, non-special token');
    const merges = f.value('tokenizer.ggml.merges') as string[];
    assert.equal(merges.length, tj.model.merges.length);
    assert.equal(merges[0], tj.model.merges[0].join(' '));
    assert.equal(f.value('tokenizer.ggml.eos_token_id'), imEnd);
    assert.equal(f.value('tokenizer.ggml.padding_token_id'), tj.added_tokens.find((t: { content: string }) => t.content === tc.pad_token).id);
    assert.equal(f.value('tokenizer.ggml.add_bos_token'), false);
    assert.equal(f.value('tokenizer.chat_template'), tc.chat_template);

    // Every tensor: llama.cpp's name, ggml dims (reversed), and the exact float32 data.
    const { tensors } = readSafetensors(join(dir, 'model.safetensors'));
    const expected = new Map<string, string>([
      ['model.embed_tokens.weight', 'token_embd.weight'], ['model.norm.weight', 'output_norm.weight'],
      ['model.layers.1.self_attn.q_norm.weight', 'blk.1.attn_q_norm.weight'], ['model.layers.1.self_attn.k_norm.weight', 'blk.1.attn_k_norm.weight'],
      ['model.layers.0.self_attn.o_proj.weight', 'blk.0.attn_output.weight'], ['model.layers.0.mlp.down_proj.weight', 'blk.0.ffn_down.weight'],
      ['model.layers.0.post_attention_layernorm.weight', 'blk.0.ffn_norm.weight'], ['model.layers.1.input_layernorm.weight', 'blk.1.attn_norm.weight'],
    ]);
    assert.equal(h.tensors.length, tensors.size, 'tied embeddings: no output.weight, nothing else dropped');
    for (const [hf, gg] of expected) {
      const src = tensors.get(hf)!;
      const info = f.tensor(gg);
      assert.deepEqual(info.dims, [...src.shape].reverse(), gg);
      assert.equal(info.type, GGMLType.F32);
      assert.deepEqual(f.readFloat(gg), src.data, gg);
    }
  } finally {
    f.close();
  }
});

test('tiny Llama → f16 GGUF: q/k rows permuted for llama.cpp rotary, halves rounded to nearest, norms stay F32', async () => {
  const dir = makeModel('llama', 'tiny');
  const out = join(tempDir('gguf-'), 'llama.gguf');
  await exportGguf({ modelDir: dir, outPath: out, quant: 'f16' });
  const f = GGUFFile.open(out);
  try {
    const { tensors } = readSafetensors(join(dir, 'model.safetensors'));
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const headDim = cfg.hidden_size / cfg.num_attention_heads;
    for (const [proj, heads] of [['q', cfg.num_attention_heads], ['k', cfg.num_key_value_heads]] as const) {
      const src = tensors.get(`model.layers.0.self_attn.${proj}_proj.weight`)!;
      const got = f.readFloat(`blk.0.attn_${proj}.weight`);
      assert.equal(f.tensor(`blk.0.attn_${proj}.weight`).type, GGMLType.F16);
      const cols = src.shape[1];
      // HF rotates halves (i, i + D/2); llama.cpp's llama graph rotates pairs (2i, 2i + 1): row h·D + 2i + p ← h·D + p·D/2 + i.
      for (let hh = 0; hh < heads; hh++) for (let i = 0; i < headDim / 2; i++) for (let p = 0; p < 2; p++) {
        const dst = hh * headDim + 2 * i + p, from = hh * headDim + p * (headDim / 2) + i;
        for (let c = 0; c < cols; c++) {
          const want = float16BitsToFloat32(float32ToFloat16Bits((src.data as Float32Array)[from * cols + c]));
          assert.equal(got[dst * cols + c], want, `${proj} row ${dst} col ${c}`);
        }
      }
    }
    assert.equal(f.tensor('blk.0.attn_norm.weight').type, GGMLType.F32);
    assert.equal(f.value('general.file_type'), 1);
    assert.equal(f.value('llama.rope.dimension_count'), headDim);
    assert.equal(f.value('llama.vocab_size'), cfg.vocab_size);
  } finally {
    f.close();
  }
});

test('--adapter: the LoRA update W + (alpha/r)·B·A is merged into the exported matrix', async () => {
  const dir = makeModel('qwen2', 'tiny');
  const adapterDir = join(tempDir('gguf-'), 'adapter');
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const r = 2, inSize = cfg.hidden_size, outSize = cfg.hidden_size;
  const a = Float32Array.from({ length: r * inSize }, (_, i) => Math.cos(i) * 0.3);
  const b = Float32Array.from({ length: outSize * r }, (_, i) => Math.sin(i) * 0.2);
  writeLoraAdapter(adapterDir, {
    config: loraConfig({ r, loraAlpha: 8, targetModules: ['q_proj'] }),
    lora: new Map([['model.layers.1.self_attn.q_proj', { a: { dtype: 'F32', shape: [r, inSize], data: a }, b: { dtype: 'F32', shape: [outSize, r], data: b } }]]),
    extra: new Map(),
  });
  const out = join(tempDir('gguf-'), 'merged.gguf');
  await exportGguf({ modelDir: dir, outPath: out, quant: 'f32', adapterDir });
  const f = GGUFFile.open(out);
  try {
    const w = readSafetensors(join(dir, 'model.safetensors')).tensors.get('model.layers.1.self_attn.q_proj.weight')!.data as Float32Array;
    const got = f.readFloat('blk.1.attn_q.weight');
    let changed = 0;
    for (let o = 0; o < outSize; o++) for (let i = 0; i < inSize; i++) {
      let ba = 0;
      for (let k = 0; k < r; k++) ba += b[o * r + k] * a[k * inSize + i];
      const want = w[o * inSize + i] + (8 / r) * ba;
      assert.ok(Math.abs(got[o * inSize + i] - want) <= 1e-6 * Math.max(1, Math.abs(want)), `[${o}, ${i}]: ${got[o * inSize + i]} vs ${want}`);
      if (Math.abs(want - w[o * inSize + i]) > 1e-3) changed++;
    }
    assert.ok(changed > outSize * inSize / 2, 'the merge changed the matrix');
    const untouched = readSafetensors(join(dir, 'model.safetensors')).tensors.get('model.layers.0.self_attn.q_proj.weight')!.data as Float32Array;
    assert.deepEqual(f.readFloat('blk.0.attn_q.weight'), untouched);
  } finally {
    f.close();
  }
});

test('q4_k_m type rule: Q6_K for output and for attn_v / ffn_down in the layers use_more_bits picks (28 layers, as Qwen2.5-1.5B)', () => {
  // llama.cpp's use_more_bits for 28 layers: i < 3, i ≥ 24, or (i − 3) % 3 == 2, listed by hand.
  const more = [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27];
  assert.deepEqual(Array.from({ length: 28 }, (_, i) => i).filter((i) => useMoreBits(i, 28)), more);
  const model = { numLayers: 28, hasOutput: false };
  assert.equal(tensorType('q4_k_m', 'token_embd.weight', [151936, 1536], model), GGMLType.Q6_K, 'tied: the embedding is the output');
  assert.equal(tensorType('q4_k_m', 'token_embd.weight', [151936, 1536], { ...model, hasOutput: true }), GGMLType.Q4_K);
  assert.equal(tensorType('q4_k_m', 'output.weight', [151936, 1536], { ...model, hasOutput: true }), GGMLType.Q6_K);
  for (let i = 0; i < 28; i++) {
    assert.equal(tensorType('q4_k_m', `blk.${i}.attn_v.weight`, [256, 1536], model), more.includes(i) ? GGMLType.Q6_K : GGMLType.Q4_K, `layer ${i} attn_v`);
    assert.equal(tensorType('q4_k_m', `blk.${i}.ffn_down.weight`, [1536, 8960], model), more.includes(i) ? GGMLType.Q6_K : GGMLType.Q4_K, `layer ${i} ffn_down`);
    assert.equal(tensorType('q4_k_m', `blk.${i}.attn_q.weight`, [1536, 1536], model), GGMLType.Q4_K);
  }
  assert.equal(tensorType('q4_k_m', 'blk.0.attn_q.bias', [1536], model), GGMLType.F32);
  // Rows that are not whole 256-value super-blocks fall back as llama.cpp does.
  assert.equal(tensorType('q4_k_m', 'blk.3.attn_q.weight', [896, 96], model), GGMLType.Q5_0);
  assert.equal(tensorType('q4_k_m', 'blk.0.attn_v.weight', [896, 96], model), GGMLType.Q8_0);
  assert.equal(tensorType('q8_0', 'blk.0.attn_q.weight', [8, 8], model), GGMLType.F16);
});

test('saenggak model export --format ollama: GGUF + Modelfile with a ChatML template and stop tokens, progress on stderr', async () => {
  const dir = makeModel('qwen2', 'tiny');
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ do_sample: true, temperature: 0.6, top_p: 0.95, top_k: 20, eos_token_id: [151645, 151643] }));
  const out = join(tempDir('gguf-'), 'ollama');
  const { stdout, stderr } = await run(process.execPath, [bin, 'model', 'export', '--model', dir, '--format', 'ollama', '--quant', 'q8_0', '--out', out, '--json'], { maxBuffer: 16 << 20 });
  const res = JSON.parse(stdout);
  assert.equal(res.out, join(out, 'model.gguf'));
  assert.ok(existsSync(res.out));
  assert.match(stderr, /\[100%\] \d+\/\d+ output_norm\.weight F32/);
  const modelfile = readFileSync(join(out, 'Modelfile'), 'utf8');
  assert.match(modelfile, /^FROM \.\/model\.gguf$/m);
  assert.match(modelfile, /^PARAMETER stop "<\|im_end\|>"$/m);
  assert.match(modelfile, /^PARAMETER temperature 0\.6$/m);
  assert.match(modelfile, /^PARAMETER top_k 20$/m);
  const template = /TEMPLATE """([\s\S]*?)"""/.exec(modelfile)![1];
  assert.ok(template.indexOf('<|im_start|>system') < template.indexOf('range $i, $_ := .Messages'), 'system turn first');
  assert.match(template, /<\|im_start\|>\{\{ \.Role \}\}\n\{\{ \.Content \}\}/);
  assert.match(template, /<\|im_start\|>assistant\n/);
  const f = GGUFFile.open(res.out);
  try {
    assert.equal(f.value('general.file_type'), 7);
    assert.equal(f.tensor('token_embd.weight').type, GGMLType.F16, 'rows of 8 are not whole Q8_0 blocks: F16, as llama.cpp falls back');
  } finally {
    f.close();
  }
  await assert.rejects(run(process.execPath, [bin, 'model', 'export', '--model', dir, '--format', 'gguf', '--quant', 'q3', '--out', join(out, 'x.gguf')]), /--quant must be one of f32, f16, bf16, q8_0, q4_k_m/);
});

// ------------------------------------------------------------------------------------------ real llama.cpp

const llamaNative = process.platform === 'linux' && process.arch === 'x64' ? '@fugood/node-llama-linux-x64' : null;

/** llama.cpp's top-5 next-token probabilities after `prompt`, and its tokenization of `prompt` (in a child process, llama-probe.ts). */
async function llamaCpp(path: string, prompt: string): Promise<{ tokens: number[]; top: [string, number][] }> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'llama-probe.ts'), llamaNative!, path, prompt], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `llama.cpp probe failed (${r.signal ?? r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Our float64 reference: log-probabilities of the next token, by decoded token text (first id wins). */
function referenceLogProbs(dir: string, ids: number[], gguf?: string): Map<string, number> {
  const { config, weights } = loadModel(dir);
  if (gguf) {
    // The weights llama.cpp computes with: every tensor decoded from the file by our reader (Qwen2: no permutation to undo).
    const f = GGUFFile.open(gguf);
    try {
      for (const [name, t] of weights) weights.set(name, { ...t, dtype: 'F32', data: f.readFloat(ggufTensorName(name)!) });
    } finally {
      f.close();
    }
  }
  const logits = referenceSequenceLoss(config, weights, ids).lastLogits;
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let z = 0;
  for (const v of logits) z += Math.exp(v - max);
  const tok = Tokenizer.load(dir);
  const top: number[] = [];
  const floor = [...logits].sort((a, b) => b - a)[49];
  for (let id = 0; id < logits.length; id++) if (logits[id] >= floor) top.push(id);
  top.sort((a, b) => logits[b] - logits[a]);
  const out = new Map<string, number>();
  for (const id of top) if (!out.has(tok.decode([id]))) out.set(tok.decode([id]), logits[id] - max - Math.log(z));
  return out;
}

function compareWithLlamaCpp(label: string, ours: Map<string, number>, theirs: [string, number][], tolerance: number): void {
  assert.equal(theirs[0][0], [...ours.keys()][0], `${label}: llama.cpp's most likely next token`);
  let compared = 0;
  for (const [text, p] of theirs) {
    const lp = ours.get(text);
    if (lp === undefined) continue; // byte tokens print differently; the rest must agree
    compared++;
    assert.ok(Math.abs(Math.log(p) - lp) <= tolerance, `${label}: log p("${text}") llama.cpp ${Math.log(p).toFixed(5)} vs ours ${lp.toFixed(5)} (tolerance ${tolerance})`);
  }
  assert.ok(compared >= 3, `${label}: only ${compared} of llama.cpp's top 5 matched our top 50`);
}

if (llamaNative) {
  const prompt = '안녕하세요, 세계 hello 123';

  test('llama.cpp loads our f32 GGUFs of Qwen2, Qwen3 and Llama: same tokens, same next-token probabilities', async () => {
    for (const family of ['qwen2', 'qwen3', 'llama'] as const) {
      const dir = makeModel(family, 'tiny');
      const out = join(tempDir('gguf-'), `${family}.gguf`);
      await exportGguf({ modelDir: dir, outPath: out, quant: 'f32' });
      const ids = Tokenizer.load(dir).encode(prompt);
      const cpp = await llamaCpp(out, prompt);
      assert.deepEqual(cpp.tokens, ids, `${family}: llama.cpp tokenizes with our tokenizer.ggml.* as the HF tokenizer does`);
      compareWithLlamaCpp(`${family} f32`, referenceLogProbs(dir, ids), cpp.top, 2e-3);
    }
  });

  test('llama.cpp reads our q8_0 and q4_k_m blocks (Q8_0, Q4_K, Q6_K) as we decode them', async () => {
    const dir = makeModel('qwen2', 'small', { layers: 2, embedScale: 5 });
    const ids = Tokenizer.load(dir).encode(prompt);
    const float = referenceLogProbs(dir, ids);
    for (const quant of ['q8_0', 'q4_k_m'] as const) {
      const out = join(tempDir('gguf-'), `${quant}.gguf`);
      // The 39M-value embedding in F16 keeps the test fast; the layers carry the K-quant blocks.
      const result = await exportGguf({ modelDir: dir, outPath: out, quant, threads: 2, tokenEmbeddingType: quant === 'q4_k_m' ? GGMLType.F16 : undefined });
      const types = new Set(result.tensors.map((t) => t.type));
      if (quant === 'q4_k_m') for (const t of ['Q4_K', 'Q6_K']) assert.ok(types.has(t), `q4_k_m wrote ${t} tensors (${[...types]})`);
      const cpp = await llamaCpp(out, prompt);
      assert.deepEqual(cpp.tokens, ids);
      // Against the float model the most likely token survives quantization; against the weights as we decode
      // them, llama.cpp agrees to its own activation rounding (its CPU dot products quantize activations to 8 bits).
      assert.equal(cpp.top[0][0], [...float.keys()][0], `${quant}: most likely token`);
      // Measured: q8_0 within 0.014, q4_k_m within 0.047 of the decoded weights (0.06 and 0.42 of the float model).
      compareWithLlamaCpp(quant, referenceLogProbs(dir, ids, out), cpp.top, quant === 'q8_0' ? 0.05 : 0.12);
    }
  });
} else {
  test('llama.cpp comparison needs the linux-x64 binding (@fugood/node-llama-linux-x64); this platform has none', () => {
    assert.ok(!(process.platform === 'linux' && process.arch === 'x64'));
  });
}
