// A device asked for by a run or eval form (#21): checked against this machine before the job is queued,
// so "cuda:3" on a two-GPU box is refused at once, naming the devices that exist, instead of failing in
// the job process. `cuda` alone is kept as asked (the queue puts it with GPU 0; the job pins it).
import { getDevices } from '../../devices/index.ts';
import { checkDevice } from '../../devices/check-device.ts';
import { ApiFailure } from '../errors.ts';

export async function checkJobDevice(device: string | undefined): Promise<string | undefined> {
  if (device === undefined) return undefined;
  try {
    const resolved = await checkDevice(device, async () => {
      const info = await getDevices();
      return { gpus: info.gpus, webgpu: info.providers.some((p) => p.name === 'webgpu' && p.available) };
    });
    return resolved.label;
  } catch (error) {
    throw new ApiFailure('invalid_input', (error as Error).message.replace(/^--device/, 'device'));
  }
}
