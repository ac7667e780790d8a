// A model as a GGUF, and for Ollama a Modelfile beside it: what `saenggak model export --format gguf|ollama`
// and the app's export job (runs.export) both do once they know where the files go. The Modelfile takes the
// chat template and stop tokens the GGUF's vocabulary carries, the model folder's generation config, and
// its context length, so `ollama create` runs the model as it was trained.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { exportGguf, type GgufExportOptions, type GgufExportResult } from './export-gguf.ts';
import { buildModelfile } from './modelfile.ts';

export type ModelExportOptions = Omit<GgufExportOptions, 'outPath' | 'threads'> & {
  ggufPath: string;
  /** Where the Ollama Modelfile goes (beside the GGUF), or null for a GGUF alone. */
  modelfilePath: string | null;
};

/** Writes the GGUF (Q4_K / Q6_K encoding on up to 8 threads) and the Modelfile when asked; the files in order. */
export async function exportModelGguf(options: ModelExportOptions): Promise<{ result: GgufExportResult; files: string[] }> {
  const { ggufPath, modelfilePath, ...gguf } = options;
  const result = await exportGguf({ ...gguf, threads: Math.min(8, availableParallelism()), outPath: ggufPath });
  const files = [ggufPath];
  if (modelfilePath) {
    const genPath = join(options.modelDir, 'generation_config.json');
    const generationConfig = existsSync(genPath) ? (JSON.parse(readFileSync(genPath, 'utf8')) as Record<string, unknown>) : undefined;
    writeFileSync(
      modelfilePath,
      buildModelfile({
        from: `./${basename(ggufPath)}`,
        chatTemplate: result.vocab.chatTemplate,
        stopTokens: result.vocab.stopTokens,
        generationConfig,
        contextLength: result.config.maxPositionEmbeddings,
      }),
    );
    files.push(modelfilePath);
  }
  return { result, files };
}
