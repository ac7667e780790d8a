// Where a run's GGUF exports go: runs/<name>/export/<name>-<quant>.gguf, or export/ollama-<quant>/ with
// model.gguf and its Modelfile. Shared by the export job and the API (which names the files up front).
import { join } from 'node:path';

export type ExportFormat = 'gguf' | 'ollama';

export function exportPaths(runDir: string, run: string, format: ExportFormat, quant: string): { gguf: string; modelfile: string | null } {
  if (format === 'ollama') {
    const dir = join(runDir, 'export', `ollama-${quant}`);
    return { gguf: join(dir, 'model.gguf'), modelfile: join(dir, 'Modelfile') };
  }
  return { gguf: join(runDir, 'export', `${run}-${quant}.gguf`), modelfile: null };
}
