// `--device cpu|webgpu[:N]|cuda[:N]` on the long commands. Resolved before the command's action runs, so a
// device that does not exist fails at once with the list of those that do, and the chosen device is in the
// process environment before onnxruntime creates its first session (CUDA reads CUDA_VISIBLE_DEVICES once).
import type { Command } from 'commander';

/** The long commands (issue #21), as paths of command names under the program. */
export const DEVICE_COMMANDS = ['train sft', 'train rm', 'train grpo', 'generate', 'eval', 'pairs build', 'pipeline run'];

function find(program: Command, path: string): Command | undefined {
  let at: Command | undefined = program;
  for (const name of path.split(' ')) at = at?.commands.find((c) => c.name() === name);
  return at;
}

export function addDeviceOptions(program: Command, paths: string[] = DEVICE_COMMANDS): void {
  for (const path of paths) {
    const command = find(program, path);
    if (!command || command.options.some((o) => o.long === '--device')) continue;
    command.option('--device <device>', 'cpu, webgpu, cuda or cuda:N (default: the config or the command\'s own choice)');
    command.hook('preAction', async (_self, action) => {
      const value = action.opts<{ device?: string }>().device;
      if (!value) return;
      try {
        const { checkDevice } = await import('../devices/check-device.ts');
        const device = await checkDevice(value, async (spec) => {
          const { listGpus } = await import('../devices/gpus.ts');
          const { probeProvider } = await import('../devices/providers.ts');
          const [{ gpus }, webgpu] = await Promise.all([listGpus(), spec.kind === 'webgpu' ? probeProvider('webgpu') : Promise.resolve(null)]);
          return { gpus, webgpu: webgpu?.available ?? false };
        });
        Object.assign(process.env, device.env);
        process.stderr.write(`device: ${device.label}${device.gpu ? ` (${device.gpu.name}, ${device.gpu.uuid})` : ''}\n`);
      } catch (error) {
        process.stderr.write(`saenggak: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
  }
}
