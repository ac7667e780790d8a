// The memory planner (main/models/memory-plan.ts): each piece by hand from the config, both copies of
// the fused step's params / m / v, checkpointing and chunked loss shrink what they should, GPU fit, and
// the `model info` CLI prints the plan as JSON with the flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIVATION_FACTOR, CPU_RUNTIME_BYTES, FULL_CHUNKED_LOGITS_FACTOR, GPU_RUNTIME_BYTES, LOGITS_FACTOR, LOOP_CARRY_FACTOR, MARGIN, OPTIMIZER_TEMPS_FACTOR, TIED_HEAD_FACTOR, activationValuesPerToken, planTrainingMemory } from '../../../main/models/memory-plan.ts';
import { loraParameterCount, parameterCounts } from '../../../main/models/memory.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

// Qwen2.5-1.5B's released shape.
const qwen15 = { ...presetConfig('qwen2', 'small', { vocabSize: 151936, bosTokenId: null, eosTokenIds: [151645], padTokenId: null }), hiddenSize: 1536, intermediateSize: 8960, numLayers: 28, numHeads: 12, numKvHeads: 2, headDim: 128, tieWordEmbeddings: true };

test('planner pieces: both copies of params/m/v, gradients, activations, logits and runtime, by hand', () => {
  const P = parameterCounts(qwen15).total;
  assert.equal(P, 1_543_714_304, 'Qwen2.5-1.5B has 1,543,714,304 parameters');
  const plan = planTrainingMemory(qwen15, { batchSize: 2, seqLength: 512, method: 'full', device: 'cuda', runner: 'per-step' });
  assert.equal(plan.breakdown.trainableState, 2 * 3 * 4 * P, 'params, m, v in float32, as the step inputs and as its outputs');
  assert.equal(plan.breakdown.loopCarry, 0, 'the per-step runner has no Loop');
  // The loop step (the trainers' default): accumulators at any accumulation, and the Loop's own copy of the state.
  const loop = planTrainingMemory(qwen15, { batchSize: 2, seqLength: 512, method: 'full', device: 'cuda' });
  assert.equal(loop.breakdown.trainableState, 2 * 4 * 4 * P, 'params, m, v and the gradient accumulators, both copies');
  assert.equal(loop.breakdown.loopCarry, LOOP_CARRY_FACTOR * 3 * 4 * P, "the Loop's carried params, m, v");
  assert.ok(loop.peakBytes >= plan.peakBytes + 2 * 4 * P + LOOP_CARRY_FACTOR * 12 * P, 'the loop costs the accumulators and its carried copy more');
  assert.equal(planTrainingMemory(qwen15, { batchSize: 2, seqLength: 512, method: 'full', device: 'cuda', precision: 'fp16' }).breakdown.loopCarry, 0, 'fp16 runs per step');
  assert.equal(plan.breakdown.gradients, 2 * 4 * P, 'gradients and their clipped copies');
  assert.equal(plan.breakdown.optimizerTemps, OPTIMIZER_TEMPS_FACTOR * 4 * P, 'AdamW temporaries, trainable-sized');
  assert.equal(plan.breakdown.outputCopies, 0, 'on a GPU the step outputs are not copied back per run');
  assert.equal(plan.breakdown.headBlocks, 0, 'no chunked loss, no split head');
  // Hand count of one layer's saved values per token: norms 4h, q/k/v (12+2+2)·128, roped q/k (12+2)·128, attention out 12·128, probabilities 12·T, MLP 4·8960.
  const perLayer = 4 * 1536 + 16 * 128 + 14 * 128 + 12 * 128 + 12 * 512 + 4 * 8960;
  assert.equal(activationValuesPerToken(qwen15, 512, false), 28 * perLayer + 2 * 1536);
  assert.equal(plan.breakdown.activations, ACTIVATION_FACTOR * 4 * 1024 * (28 * perLayer + 2 * 1536));
  assert.equal(plan.breakdown.logits, LOGITS_FACTOR * 3 * 4 * 1024 * 151936);
  assert.equal(plan.breakdown.runtime, GPU_RUNTIME_BYTES);
  const pieces = Object.entries(plan.breakdown).filter(([k]) => k !== 'margin').reduce((a, [, b]) => a + b, 0);
  assert.equal(plan.breakdown.margin, Math.ceil(MARGIN * pieces), 'the run-to-run margin on top of the pieces');
  assert.equal(plan.peakBytes, pieces + plan.breakdown.margin);
  // The finding: full fine-tuning of 1.5B in fp32 does not fit 80 GB at a real batch.
  const real = planTrainingMemory(qwen15, { batchSize: 4, seqLength: 1024, method: 'full', device: 'cuda' });
  assert.equal(real.fits['80GB'], false, `full fp32 1.5B at 4×1024: ${(real.peakBytes / 2 ** 30).toFixed(1)} GiB`);
  assert.ok(real.peakBytes > 2 * 3 * 4 * P, 'more than both copies of the state');
});

test('planner: LoRA freezes the base, checkpointing and chunked loss shrink activations and logits, precision halves activations', () => {
  const P = parameterCounts(qwen15).total;
  const Pt = loraParameterCount(qwen15, 16);
  const lora = planTrainingMemory(qwen15, { batchSize: 1, seqLength: 512, method: 'lora', loraRank: 16, device: 'cpu', runner: 'per-step' });
  assert.equal(lora.trainableParameters, Pt);
  assert.equal(lora.breakdown.trainableState, 24 * Pt);
  assert.equal(lora.breakdown.sessionLoad, 0);
  assert.equal(lora.breakdown.frozen, 4 * P, "onnxruntime's initializers (the external data are views of the host weights, not a copy)");
  assert.equal(lora.breakdown.hostWeights, 4 * P, 'the loaded checkpoint the trainer keeps');
  assert.equal(lora.breakdown.outputCopies, 12 * Pt, "onnxruntime-node's JS copies of params, m, v");
  assert.equal(lora.breakdown.headBlocks, 0, 'no chunked loss: the head is read in place by Gemm(transB)');
  assert.equal(lora.breakdown.runtime, CPU_RUNTIME_BYTES);
  const ckpt = planTrainingMemory(qwen15, { batchSize: 1, seqLength: 512, method: 'lora', device: 'cpu', checkpointing: true, lossChunks: 8 });
  assert.ok(ckpt.breakdown.activations < lora.breakdown.activations / 5, 'checkpointing keeps layer inputs plus one layer');
  assert.equal(ckpt.breakdown.logits, Math.ceil(lora.breakdown.logits / 8));
  const E = 151936 * 1536;
  assert.equal(ckpt.breakdown.headBlocks, 4 * E, 'chunked loss over the frozen tied head: its folded blocks, a second resident copy');
  assert.equal(ckpt.breakdown.sessionLoad, Math.max(0, 4 * E - (ckpt.breakdown.gradients + ckpt.breakdown.optimizerTemps + ckpt.breakdown.activations + ckpt.breakdown.logits)), 'and one more while folding, beyond the step working set');
  const fullChunked = planTrainingMemory(qwen15, { batchSize: 1, seqLength: 512, method: 'full', device: 'cpu', checkpointing: true, lossChunks: 8 });
  assert.equal(fullChunked.breakdown.headBlocks, TIED_HEAD_FACTOR * 4 * E, 'trainable tied head in blocks: blocks, concatenated and Gather gradients, their sum');
  assert.equal(fullChunked.breakdown.logits, Math.ceil((LOGITS_FACTOR * 3 * 4 * 512 * 151936) / 8) + FULL_CHUNKED_LOGITS_FACTOR * 4 * 512 * 151936);
  const grpo = planTrainingMemory(qwen15, { batchSize: 2, seqLength: 64, method: 'lora', device: 'cpu', checkpointing: true, grpo: true });
  assert.equal(grpo.breakdown.scorer, 4 * P + 2 * 4 * E + 2 * 4 * 128 * 151936, "GRPO's scorer: its own initializers, packed head, logits");
  assert.equal(planTrainingMemory(qwen15, { batchSize: 2, seqLength: 64, method: 'lora', device: 'cpu' }).breakdown.scorer, 0);
  const bf16 = planTrainingMemory(qwen15, { batchSize: 1, seqLength: 512, method: 'full', device: 'cuda', precision: 'bf16' });
  const fp32 = planTrainingMemory(qwen15, { batchSize: 1, seqLength: 512, method: 'full', device: 'cuda', precision: 'fp32' });
  assert.equal(bf16.breakdown.activations * 2, fp32.breakdown.activations);
  assert.equal(bf16.breakdown.trainableState, fp32.breakdown.trainableState, 'master weights and moments stay fp32');
  assert.throws(() => planTrainingMemory(qwen15, { batchSize: 1, seqLength: 8, method: 'full', precision: 'fp8' as never }), /precision must be fp32, bf16 or fp16/);
  assert.throws(() => planTrainingMemory(qwen15, { batchSize: 0, seqLength: 8, method: 'full' }), /batch size/);
});

test('saenggak model info --method --precision --checkpointing --device --json prints {parameters, memory: {peakBytes, breakdown, fits}}', () => {
  const dir = tempDir('info-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936, rms_norm_eps: 1e-6, rope_theta: 1e6, tie_word_embeddings: true, max_position_embeddings: 32768 }));
  const out = execFileSync(process.execPath, ['bin/saenggak.js', 'model', 'info', '--model', dir, '--batch', '1', '--seq', '512', '--method', 'lora', '--precision', 'fp32', '--checkpointing', 'on', '--device', 'cpu', '--json'], { encoding: 'utf8' });
  const info = JSON.parse(out);
  assert.equal(info.parameters.total, 1_543_714_304);
  const expected = planTrainingMemory({ ...qwen15, ropeTheta: 1e6 }, { batchSize: 1, seqLength: 512, method: 'lora', checkpointing: true, device: 'cpu' });
  assert.equal(info.memory.peakBytes, expected.peakBytes);
  assert.deepEqual(Object.keys(info.memory.breakdown), Object.keys(expected.breakdown));
  assert.deepEqual(info.memory.fits, expected.fits);
  assert.equal(info.memory.lora.total, expected.peakBytes, 'the LoRA column total is the same planner');
});
