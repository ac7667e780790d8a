// A worker thread of QuantPool: encodes the float blocks it is sent and sends the bytes back (transferred).
import { parentPort } from 'node:worker_threads';
import type { GGMLType } from './constants.ts';
import { quantize } from './quants.ts';

parentPort!.on('message', (m: { id: number; type: GGMLType; values: Float32Array }) => {
  try {
    const bytes = quantize(m.values, m.type);
    parentPort!.postMessage({ id: m.id, bytes }, [bytes.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
