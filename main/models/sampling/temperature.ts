// Temperature: logits / T. T < 1 sharpens, T > 1 flattens. T = 0 means greedy and is handled by the
// generator (no division by zero here).
import { requireNumber, type LogitsProcessor } from './processor.ts';

export class TemperatureWarper implements LogitsProcessor {
  readonly name = 'temperature';
  readonly temperature: number;
  constructor(temperature: number) {
    this.temperature = requireNumber('temperature', temperature, (v) => v > 0 && Number.isFinite(v), 'a finite number > 0 (use greedy decoding for 0)');
  }
  apply(_ids: readonly number[], logits: Float64Array): void {
    if (this.temperature === 1) return;
    for (let i = 0; i < logits.length; i++) logits[i] /= this.temperature;
  }
}
