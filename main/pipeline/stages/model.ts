// Stage "model": the model the recipe starts from. `make` creates a small random decoder on the fly
// (a preset or custom shape, with the synthetic task's compact tokenizer or the Qwen tokenizer);
// `path` uses a folder; `hub` uses a downloaded Hugging Face model.
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelConfig, type ModelConfig } from '../../models/config.ts';
import { initWeights } from '../../models/init.ts';
import { presetConfig } from '../../models/presets.ts';
import { bundledQwenTokenizerDir, Tokenizer } from '../../models/tokenizer.ts';
import { saveModel } from '../../models/weights.ts';
import { arithmeticAlphabet, writeCompactTokenizer } from '../../train/tasks/index.ts';
import { workspacePath } from '../fingerprint.ts';
import { locateModel, modelCandidates, modelDownloadHint } from '../locate.ts';
import type { MakeModel, ModelStage } from '../recipe.ts';
import type { CheckFinding, StageDefinition } from '../stage.ts';

/** The config a `make` section produces for a tokenizer (also used by `pipeline check` for memory). */
export function madeModelConfig(make: MakeModel, tokenizer: Tokenizer): ModelConfig {
  const eos = tokenizer.eosTokenId;
  const base = presetConfig(make.family, make.preset ?? 'tiny', {
    vocabSize: tokenizer.vocabSize,
    bosTokenId: tokenizer.bosTokenId ?? tokenizer.tokenToId('<|endoftext|>'),
    eosTokenIds: eos === null ? [] : [eos],
    padTokenId: tokenizer.padTokenId ?? eos,
    maxPositionEmbeddings: make.shape?.maxPositionEmbeddings,
  });
  if (!make.shape) return base;
  const { hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositionEmbeddings } = make.shape;
  if (hiddenSize % numHeads !== 0) throw new Error(`model.make.shape: hiddenSize ${hiddenSize} is not a multiple of numHeads ${numHeads}`);
  if (numHeads % numKvHeads !== 0) throw new Error(`model.make.shape: numHeads ${numHeads} is not a multiple of numKvHeads ${numKvHeads}`);
  return { ...base, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositionEmbeddings, headDim: hiddenSize / numHeads };
}

/** Writes the tokenizer a `make` section asks for into `dir` (or returns its folder). */
function prepareTokenizer(make: MakeModel, workspace: string, scratch: string): string {
  if (make.tokenizer === 'qwen') return bundledQwenTokenizerDir();
  if (make.tokenizer === 'compact') {
    writeCompactTokenizer(scratch, arithmeticAlphabet() + (make.extraCharacters ?? ''));
    return scratch;
  }
  return workspacePath(workspace, make.tokenizer);
}

/** The folder of a `path` or `hub` model section, or null when it is not there. */
export function existingModelDir(stage: ModelStage, workspace: string): string | null {
  if ('path' in stage) {
    const dir = workspacePath(workspace, stage.path);
    return existsSync(join(dir, 'config.json')) ? dir : null;
  }
  if ('hub' in stage) return locateModel(workspace, stage.hub, stage.revision);
  return null;
}

export const modelStage: StageDefinition = {
  name: 'model',
  plan({ recipe, workspace }) {
    const stage = recipe.model!;
    const dir = existingModelDir(stage, workspace);
    return { config: { ...stage }, inputs: dir ? [dir] : [] };
  },
  async run(plan, ctx) {
    const stage = ctx.recipe.model!;
    if (!('make' in stage)) {
      const dir = existingModelDir(stage, ctx.workspace);
      if (!dir) {
        const hint = 'hub' in stage ? `; download it on a machine with internet: ${modelDownloadHint(ctx.workspace, stage.hub, stage.revision)}` : '';
        throw new Error(`model ${'hub' in stage ? stage.hub : stage.path} not found (looked in ${('hub' in stage ? modelCandidates(ctx.workspace, stage.hub, stage.revision) : [workspacePath(ctx.workspace, stage.path)]).join(', ')})${hint}`);
      }
      const config = loadModelConfig(dir);
      return { outputs: { output: dir }, summary: { family: config.family, layers: config.numLayers, hidden: config.hiddenSize } };
    }
    // Write into a temporary sibling and rename, so an interrupted stage never leaves half a model behind.
    const out = join(ctx.dir, 'base');
    const tmp = mkdtempSync(join(ctx.dir, '.base-'));
    try {
      const tokenizerDir = prepareTokenizer(stage.make, ctx.workspace, join(tmp, '.tokenizer'));
      const tokenizer = Tokenizer.load(tokenizerDir);
      const config = madeModelConfig(stage.make, tokenizer);
      const weights = initWeights(config, { seed: stage.make.seed });
      const eos = tokenizer.eosTokenId;
      const stops = [...new Set([eos, tokenizer.tokenToId('<|endoftext|>')].filter((x): x is number => x !== null))];
      const generationConfig: Record<string, unknown> = { eos_token_id: stops.length === 1 ? stops[0] : stops };
      if (config.padTokenId !== null) generationConfig.pad_token_id = config.padTokenId;
      const modelDir = join(tmp, 'model');
      saveModel(modelDir, { config, weights, generationConfig }, { tokenizerDir });
      rmSync(out, { recursive: true, force: true });
      renameSync(modelDir, out);
      let parameters = 0;
      for (const t of weights.values()) parameters += t.data.length;
      ctx.log(`made a ${config.family} model: ${config.numLayers} layers, hidden ${config.hiddenSize}, vocabulary ${config.vocabSize}, ${parameters} parameters`);
      return { outputs: { output: out }, summary: { parameters, layers: config.numLayers, hidden: config.hiddenSize, vocab: config.vocabSize } };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
  async check({ recipe, workspace }) {
    const stage = recipe.model!;
    const findings: CheckFinding[] = [];
    if ('make' in stage) {
      if (stage.make.tokenizer !== 'compact' && stage.make.tokenizer !== 'qwen' && !existsSync(join(workspacePath(workspace, stage.make.tokenizer), 'tokenizer.json'))) {
        findings.push({ stage: 'model', level: 'error', message: `model.make.tokenizer: no tokenizer.json in ${workspacePath(workspace, stage.make.tokenizer)}` });
      }
    } else if ('path' in stage) {
      if (!existingModelDir(stage, workspace)) findings.push({ stage: 'model', level: 'error', message: `model.path: no config.json in ${workspacePath(workspace, stage.path)}` });
    } else if (!existingModelDir(stage, workspace)) {
      const expectedAt = modelCandidates(workspace, stage.hub, stage.revision)[0];
      findings.push({ stage: 'model', level: 'error', message: `model ${stage.hub} is not downloaded: put it at ${expectedAt} (${modelDownloadHint(workspace, stage.hub, stage.revision)})`, download: { kind: 'model', id: stage.hub, expectedAt } });
    }
    return findings;
  },
};
