// A fake `nvidia-smi` for tests: answers exactly the telemetry query main/devices/gpus.ts sends (any other
// arguments exit 9, so a changed query fails loudly), once or every N ms with `-lms N`, for two GPUs whose
// memory, utilisation, temperature and power change from one sample to the next. Power of GPU 1 is
// "[N/A]", as boards without a power sensor report it.
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FAKE_QUERY = '--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,driver_version';

/** Sample k (0, 1, 2, …): the numbers the fake prints, for assertions. */
export function fakeReading(gpu: 0 | 1, k: number) {
  return gpu === 0
    ? { memoryUsedMiB: 1000 + 100 * k, utilization: (10 * k) % 100, temperature: 40 + k, powerW: 100 + 0.5 * k }
    : { memoryUsedMiB: 500 + 50 * k, utilization: (5 * k) % 100, temperature: 35 + k, powerW: null };
}

/** Writes the script into a new folder and returns the folder (put it first on PATH). */
export async function installFakeNvidiaSmi(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-fake-smi-'));
  const script = `#!/bin/sh
[ "$1" = "${FAKE_QUERY}" ] && [ "$2" = "--format=csv,noheader,nounits" ] || { echo "unexpected arguments: $*" >&2; exit 9; }
period=""
[ "$3" = "-lms" ] && period="$4"
k=0
while :; do
  echo "0, NVIDIA A100-SXM4-80GB, GPU-0000aaaa-1111-2222-3333-444455556666, 81920, $((1000 + 100 * k)), $(((10 * k) % 100)), $((40 + k)), $((100 + k / 2)).$(((k % 2) * 5)), 550.54.15"
  echo "1, NVIDIA GeForce RTX 4090, GPU-9999bbbb-8888-7777-6666-555544443333, 24564, $((500 + 50 * k)), $(((5 * k) % 100)), $((35 + k)), [N/A], 550.54.15"
  [ -z "$period" ] && exit 0
  k=$((k + 1))
  sleep "$(awk "BEGIN { print $period / 1000 }")"
done
`;
  await writeFile(join(dir, 'nvidia-smi'), script);
  await chmod(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}
