// The `export` job kind: a finished run's output (a full checkpoint, or a LoRA adapter merged into its
// base) as a GGUF for llama.cpp / LM Studio, or a GGUF + Modelfile for Ollama, written to
// runs/<name>/export/. Progress is the bytes written, so the UI's bar and ETA follow the file.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JobContext } from '../job-kind.ts';
import { exportModelGguf } from '../../export/gguf/export-model.ts';
import { exportPaths } from '../../export/gguf/export-paths.ts';
import type { QuantName } from '../../export/gguf/quant-plan.ts';
import { resolveModelPath } from '../../models/resolve.ts';
import { RunFolder } from '../../train/run/index.ts';

export type ExportJobInput = { run: string; format: 'gguf' | 'ollama'; quant: QuantName };

export type ExportJobResult = { files: string[]; bytes: number; quant: QuantName; format: 'gguf' | 'ollama' };

export async function run(raw: unknown, ctx: JobContext): Promise<ExportJobResult> {
  const input = raw as ExportJobInput;
  const folder = RunFolder.inWorkspace(ctx.workspace, input.run);
  const info = folder.info();
  const output = info.output ?? folder.outputDir;
  if (!existsSync(output)) throw new Error(`run "${input.run}" has no output folder yet (${output})`);
  // An adapter is merged into the base model it names (adapter_config.json), else the run's base model.
  let modelDir = output;
  let adapterDir: string | undefined;
  if (existsSync(join(output, 'adapter_config.json'))) {
    const base = (JSON.parse(readFileSync(join(output, 'adapter_config.json'), 'utf8')) as { base_model_name_or_path?: string }).base_model_name_or_path;
    const candidates = [base, info.baseModel].filter((x): x is string => typeof x === 'string' && x.length > 0);
    const found = candidates.map((c) => { try { return resolveModelPath(c); } catch { return null; } }).find((x) => x !== null);
    if (!found) throw new Error(`run "${input.run}" is a LoRA adapter whose base model (${candidates.join(' or ') || 'not recorded'}) is not on this machine`);
    modelDir = found;
    adapterDir = output;
  }
  const paths = exportPaths(folder.dir, input.run, input.format, input.quant);
  mkdirSync(dirname(paths.gguf), { recursive: true });
  ctx.log(`exporting ${adapterDir ? `${modelDir} + adapter ${adapterDir}` : modelDir} as ${input.quant} to ${paths.gguf}`);
  const { result, files } = await exportModelGguf({
    modelDir,
    adapterDir,
    ggufPath: paths.gguf,
    modelfilePath: paths.modelfile,
    quant: input.quant,
    name: input.run,
    onProgress: (p) => {
      if (ctx.signal.aborted) throw new Error('export cancelled');
      ctx.progress({ done: p.bytesWritten, total: p.totalBytes, unit: 'bytes', message: `${p.index}/${p.total} ${p.tensor} ${p.type}` });
    },
  });
  ctx.log(`wrote ${files.join(', ')} (${(result.bytes / 2 ** 20).toFixed(1)} MiB)`);
  return { files, bytes: result.bytes, quant: input.quant, format: input.format };
}
