// The machine a benchmark ran on, recorded next to every result.
import os from 'node:os';
import { createRequire } from 'node:module';

export type MachineDescription = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  onnxruntime: string;
  /** 1/5/15-minute load averages when the result was written: other work on the machine skews timings. */
  loadAverage: number[];
};

export function describeMachine(): MachineDescription {
  const require = createRequire(import.meta.url);
  let onnxruntime = 'unknown';
  try {
    onnxruntime = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    // not installed: leave 'unknown'
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
