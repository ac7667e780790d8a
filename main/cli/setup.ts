// `saenggak setup gpu`: GPU support for the installed app without npm — the CUDA provider libraries of
// the bundled onnxruntime version, downloaded (resumable, digest-checked) into the user-data folder,
// checked before and after (driver, CUDA libraries, a CUDA test session). `--dry-run --json` prints the
// plan; `--check` only re-checks (after files were placed by hand on an offline machine).
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';

type SetupGpuOptions = {
  dryRun?: boolean;
  json?: boolean;
  check?: boolean;
  allowUnrecordedDigest?: boolean;
  mirror?: string;
  sha256?: string;
};

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function registerSetupCommands(program: Command): void {
  const setup = program.command('setup').description('set up optional parts of the app');
  setup
    .command('gpu')
    .description("install GPU support (onnxruntime's CUDA provider libraries) into the app's user-data folder")
    .option('--dry-run', 'print what would be downloaded, download nothing')
    .option('--json', 'print one JSON object')
    .option('--check', 'only check the prerequisites and the installed GPU runtime')
    .option('--allow-unrecorded-digest', 'install although this app records no SHA-256 for the archive (the measured one is printed)')
    .option('--sha256 <hex>', 'the expected SHA-256 of the archive, where the app records none')
    .option('--mirror <url>', "a mirror of nuget.org's flat container (same paths; digests still checked)")
    .action(
      cliAction(async (options: SetupGpuOptions) => {
        const { dryRunPlan, installGpuRuntime } = await import('../devices/gpu-runtime/install.ts');
        const { gpuSetupStatus } = await import('../devices/gpu-runtime/status.ts');
        const out = (value: unknown): void => void process.stdout.write(JSON.stringify(value) + '\n');
        if (options.dryRun) {
          const plan = dryRunPlan({ mirror: options.mirror, sha256: options.sha256 });
          if (options.json) return out(plan);
          process.stdout.write(`onnxruntime ${plan.onnxruntime}, ${plan.target}:\n`);
          for (const f of plan.files) {
            process.stdout.write(`  ${f.name}\n    ${f.url}\n    ${f.bytes === null ? 'size not recorded' : mib(f.bytes)}, SHA-256 ${f.sha256 ?? 'not recorded'}\n`);
          }
          return;
        }
        const before = await gpuSetupStatus({ verify: false });
        if (options.check) {
          const status = await gpuSetupStatus({ verify: true });
          if (options.json) return out(status);
          process.stdout.write(status.summary.join('\n') + '\n');
          if (!status.cudaUsable) process.exitCode = 2;
          return;
        }
        let lastLine = 0;
        const result = await installGpuRuntime({
          allowUnrecordedDigest: options.allowUnrecordedDigest,
          mirror: options.mirror,
          sha256: options.sha256,
          onProgress: (p) => {
            // Progress goes to stderr so --json keeps stdout to one object.
            if (p.phase === 'download') {
              const now = Date.now();
              const done = p.totalBytes !== null && p.receivedBytes >= p.totalBytes;
              if (now - lastLine < 1000 && !done) return;
              lastLine = now;
              const total = p.totalBytes === null ? '' : ` of ${mib(p.totalBytes)}`;
              const resumed = p.resumedFrom > 0 && p.attempt > 0 ? ` (resumed at ${mib(p.resumedFrom)})` : '';
              process.stderr.write(`downloading ${p.file}: ${mib(p.receivedBytes)}${total}${resumed}\n`);
            } else if (p.phase === 'extract') process.stderr.write(`extracting ${p.file}\n`);
            else process.stderr.write(`installed in ${p.dir}\n`);
          },
        });
        const after = await gpuSetupStatus({ verify: true });
        if (options.json) {
          out({ ...result, prerequisitesBefore: before.prerequisites, status: after });
        } else {
          for (const a of result.archives) {
            process.stdout.write(`${a.name}: SHA-256 ${a.sha256} (${a.recorded ? 'matches the recorded digest' : 'NOT recorded in this app: record it in main/devices/gpu-runtime/releases.ts'})\n`);
          }
          process.stdout.write(after.summary.join('\n') + '\n');
        }
        if (!after.cudaUsable) process.exitCode = 2;
      }),
    );
}
