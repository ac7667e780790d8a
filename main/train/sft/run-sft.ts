// The programmatic entry point of SFT: what the CLI, the `sft` job kind, GRPO's tests and the pipeline
// call. One function, one config object; the run folder (runs/<name>/) holds everything it produced.
import { parseSftConfig, type SftConfig, type SftConfigInput } from './config.ts';
import { SftTrainer } from './trainer.ts';

// The entry's value types live in types.ts (the trainer uses them too, without importing this entry).
export type { RunSftOptions, SftProgress, SftResult, SftSummary } from './types.ts';
import type { RunSftOptions, SftResult } from './types.ts';

export async function runSft(config: SftConfigInput | SftConfig, options: RunSftOptions = {}): Promise<SftResult> {
  const resolved = parseSftConfig(config);
  const trainer = await SftTrainer.prepare(resolved, options);
  return trainer.train();
}
