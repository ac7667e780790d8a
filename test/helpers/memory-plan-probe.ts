// Child process for test/unit/models/memory-plan-measured.test.ts: two fine-tuning steps of a small decoder
// on the CPU (its own process, so its peak RSS is the step's alone), then prints
// { peakRssBytes, planBytes, plan } as one JSON line. argv[2]: JSON { method, vocab, layers, seq, tied }.
import { FineTuner, lmBatch } from '../../main/models/fine-tune.ts';
import { initWeights } from '../../main/models/init.ts';
import { planTrainingMemory } from '../../main/models/memory-plan.ts';
import { loraConfig } from '../../main/models/peft.ts';
import { presetConfig } from '../../main/models/presets.ts';

const spec = JSON.parse(process.argv[2]) as { method: 'full' | 'lora'; vocab: number; layers: number; seq: number; tied: boolean; lossChunks: number };
const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const base = presetConfig('qwen2', 'tiny', { vocabSize: spec.vocab, bosTokenId: 1, eosTokenIds: [2], padTokenId: 0 });
const config = { ...base, hiddenSize: 512, intermediateSize: 1408, numLayers: spec.layers, numHeads: 8, numKvHeads: 2, headDim: 64, tieWordEmbeddings: spec.tied };
const weights = initWeights(config, { seed: 1, std: 0.02 });
const method = spec.method === 'lora' ? { kind: 'lora' as const, lora: loraConfig({ r: 16, loraAlpha: 32, targetModules: targets }), seed: 1 } : { kind: 'full' as const };
const tuner = await FineTuner.create(config, weights, method, { provider: 'cpu', gradientCheckpointing: true, lossChunks: spec.lossChunks });
const batch = lmBatch([{ ids: Array.from({ length: spec.seq }, (_, t) => 3 + ((t * 7919) % (spec.vocab - 3))) }]);
// Two steps: the second is the first to write the other set of alternating state buffers (the peak).
for (let i = 0; i < 2; i++) await tuner.step(batch, 1e-4);
const plan = planTrainingMemory(config, { batchSize: 1, seqLength: spec.seq, method: spec.method, loraRank: 16, loraTargets: targets, checkpointing: true, lossChunks: spec.lossChunks, device: 'cpu' });
process.stdout.write(JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024, planBytes: plan.peakBytes, breakdown: plan.breakdown }) + '\n');
await tuner.release();
