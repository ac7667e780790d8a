// Reward-model inference for Hugging Face `*ForSequenceClassification` checkpoints: the decoder with
// its `score` head, read at each sequence's last real token (right padding, so that is index
// length − 1). Batches are scored in chunks of `batchSize` rows.
import type { SafeTensor } from '../engine/safetensors.ts';
import type { ProviderRequest } from '../engine/runtime/providers.ts';
import type { ModelConfig } from './config.ts';
import { DecoderSession } from './decoder-session.ts';
import type { DecoderDType } from './decoder.ts';
import { openModelFolder, type WeightFiles } from './weight-files.ts';

export class RewardModel {
  private constructor(
    readonly config: ModelConfig,
    private readonly session: DecoderSession,
  ) {}

  /** `provider`: the device to score on (a training run's own; default the CPU). */
  static async create(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, options: { dtype?: DecoderDType; weightFiles?: WeightFiles; provider?: ProviderRequest } = {}): Promise<RewardModel> {
    if (config.task !== 'sequence-classification') throw new Error(`reward model: ${config.architecture} is not a sequence classifier (expected *ForSequenceClassification with score.weight)`);
    return new RewardModel(config, await DecoderSession.create(config, weights, { dtype: options.dtype, weightFiles: options.weightFiles, provider: options.provider }));
  }

  /** A reward model straight from its folder: the session maps the checkpoint files (no copy in JS). */
  static async fromFolder(dir: string, options: { dtype?: DecoderDType } = {}): Promise<RewardModel> {
    const { config, weightFiles } = openModelFolder(dir);
    return RewardModel.create(config, new Map(), { ...options, weightFiles });
  }

  /** Scores [numLabels] per sequence (a reward model has numLabels = 1: use `rewards`). */
  async scores(sequences: readonly (readonly number[])[], batchSize = 8): Promise<number[][]> {
    const out: number[][] = [];
    for (let start = 0; start < sequences.length; start += batchSize) {
      const chunk = sequences.slice(start, start + batchSize);
      chunk.forEach((s, i) => {
        if (s.length === 0) throw new Error(`reward model: sequence ${start + i} is empty`);
        for (const id of s) if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) throw new Error(`reward model: sequence ${start + i} has token id ${id} outside the vocabulary (size ${this.config.vocabSize})`);
      });
      const B = chunk.length;
      const S = Math.max(...chunk.map((s) => s.length));
      const pad = this.config.padTokenId ?? 0;
      const ids = chunk.flatMap((s) => [...s, ...new Array(S - s.length).fill(pad)]);
      const mask = chunk.flatMap((s) => [...s.map(() => 1), ...new Array(S - s.length).fill(0)]);
      const positions = chunk.flatMap((s) => [...s.map((_, t) => t), ...new Array(S - s.length).fill(0)]);
      const { logits, vocab: labels } = await this.session.forward({ inputIds: ids, attentionMask: mask, positionIds: positions, batch: B, seq: S });
      chunk.forEach((s, b) => {
        const at = (b * S + s.length - 1) * labels;
        out.push(Array.from(logits.subarray(at, at + labels)));
      });
    }
    return out;
  }

  /** The scalar reward per sequence (score[0]). */
  async rewards(sequences: readonly (readonly number[])[], batchSize = 8): Promise<number[]> {
    return (await this.scores(sequences, batchSize)).map((s) => s[0]);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
