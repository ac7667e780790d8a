// `saenggak model export --format gguf|ollama`: the GGUF exporter from a terminal, progress on stderr.
// `--out` is the .gguf file; for ollama it may also be a folder (model.gguf + Modelfile go inside).

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface GgufCliOptions {
  model: string;
  out: string;
  format: 'gguf' | 'ollama';
  quant?: string;
  adapter?: string;
  name?: string;
  json?: boolean;
}

export async function runGgufExport(opts: GgufCliOptions): Promise<void> {
  const { QUANT_NAMES } = await import('../export/gguf/quant-plan.ts');
  const quant = opts.quant ?? 'f16';
  if (!(QUANT_NAMES as readonly string[]).includes(quant)) throw new Error(`--quant must be one of ${QUANT_NAMES.join(', ')}, got "${quant}"`);
  let ggufPath = opts.out;
  let modelfilePath: string | null = null;
  if (opts.format === 'ollama') {
    const isFolder = !opts.out.endsWith('.gguf') || (existsSync(opts.out) && statSync(opts.out).isDirectory());
    if (isFolder) {
      mkdirSync(opts.out, { recursive: true });
      ggufPath = join(opts.out, 'model.gguf');
    }
    modelfilePath = join(dirname(ggufPath), 'Modelfile');
  } else if (!opts.out.endsWith('.gguf')) throw new Error(`--out must name a .gguf file, got "${opts.out}"`);
  mkdirSync(dirname(ggufPath), { recursive: true });
  const started = Date.now();
  const { exportModelGguf } = await import('../export/gguf/export-model.ts');
  const { result, files } = await exportModelGguf({
    modelDir: opts.model,
    ggufPath,
    modelfilePath,
    quant: quant as never,
    adapterDir: opts.adapter,
    name: opts.name,
    onProgress: (p) => {
      const pct = ((100 * p.bytesWritten) / p.totalBytes).toFixed(0).padStart(3);
      process.stderr.write(`[${pct}%] ${String(p.index).padStart(String(p.total).length)}/${p.total} ${p.tensor} ${p.type}\n`);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const counts: Record<string, number> = {};
  for (const t of result.tensors) counts[t.type] = (counts[t.type] ?? 0) + 1;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ out: ggufPath, files, format: opts.format, architecture: result.architecture, quant, bytes: result.bytes, tensorTypes: counts, seconds }) + '\n');
  } else {
    const types = Object.entries(counts).map(([t, n]) => `${n} ${t}`).join(', ');
    process.stdout.write(`Exported ${result.config.architecture} as GGUF (${quant}: ${types}; ${(result.bytes / 2 ** 20).toFixed(1)} MiB) in ${seconds.toFixed(1)} s: ${files.join(', ')}\n`);
    if (modelfilePath) process.stdout.write(`Run it with: ollama create ${basename(opts.model) || 'model'} -f ${modelfilePath}\n`);
  }
}
