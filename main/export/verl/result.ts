// What `saenggak export verl` reports: the files it wrote (or would write), row counts, the verl entry and
// version, warnings about options verl cannot honour, and the LoRA settings the import needs back.
import type { ExportData } from './recipe-data.ts';
import type { MappingWarning, VerlEntry } from './trainer-config.ts';

export interface ExportVerlResult {
  out: string;
  files: string[];
  entry: VerlEntry;
  verl: string;
  rows: { train: number; val: number; sftTrain: number; sftVal: number };
  sources: ExportData['sources'];
  maxPromptLength: number;
  warnings: MappingWarning[];
  /** False for a dry run. */
  written: boolean;
  /** LoRA settings of the GRPO stage (the import needs the alpha back: verl's merger does not record it). */
  lora: { r: number; alpha: number } | null;
}
