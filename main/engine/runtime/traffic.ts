// Host↔device traffic counter. A step's traffic is the bytes of every input fed from host memory
// plus every output returned to host memory. Tensors that stay on the device (WebGPU gpu-buffer)
// cost nothing. On the CPU provider host memory *is* device memory, so the same count says what a
// discrete-GPU provider that keeps outputs on the host (CUDA in onnxruntime-node) would copy.

import type * as ort from 'onnxruntime-node';
import { tensorByteSize } from './tensors.ts';

export type Traffic = { hostToDevice: number; deviceToHost: number };

// Every counter's bytes also add up here: what a command moved in all its sessions (train, decode,
// scoring), for `--json` reports and per-step deltas that span several sessions (a GRPO step).
const processTotal: Traffic = { hostToDevice: 0, deviceToHost: 0 };

/** Bytes every TrafficCounter of this process has counted so far. */
export function processTraffic(): Traffic {
  return { ...processTotal };
}

/** b − a, field by field (the traffic between two processTraffic() readings). */
export function trafficSince(a: Traffic, b: Traffic = processTraffic()): Traffic {
  return { hostToDevice: b.hostToDevice - a.hostToDevice, deviceToHost: b.deviceToHost - a.deviceToHost };
}

export class TrafficCounter {
  private current: Traffic = { hostToDevice: 0, deviceToHost: 0 };
  private total: Traffic = { hostToDevice: 0, deviceToHost: 0 };

  countInputs(feeds: Record<string, ort.Tensor>): void {
    for (const t of Object.values(feeds)) if (t.location === 'cpu') this.up(tensorByteSize(t));
  }

  countOutputs(outputs: Record<string, ort.Tensor>): void {
    for (const t of Object.values(outputs)) if (t.location === 'cpu') this.countDownload(tensorByteSize(t));
  }

  /** An explicit download (e.g. reading state for a checkpoint). */
  countDownload(bytes: number): void {
    this.current.deviceToHost += bytes;
    processTotal.deviceToHost += bytes;
  }

  private up(bytes: number): void {
    this.current.hostToDevice += bytes;
    processTotal.hostToDevice += bytes;
  }

  /** Ends the current step: returns its traffic and adds it to the total. */
  endStep(): Traffic {
    const step = this.current;
    this.total.hostToDevice += step.hostToDevice;
    this.total.deviceToHost += step.deviceToHost;
    this.current = { hostToDevice: 0, deviceToHost: 0 };
    return step;
  }

  get totals(): Traffic {
    return { ...this.total };
  }
}
