// GPU support for the installed app (the Devices page's "Install GPU support"): the set-up status (plan,
// installed runtime, prerequisites, last CUDA check, offline instructions) and an install that runs in the
// back end while the page polls its progress. See main/devices/gpu-runtime/.
import { z } from 'zod';
import { method } from '../method.ts';
import type { GpuSetupStatus } from '../../devices/gpu-runtime/status.ts';

export type { GpuSetupStatus } from '../../devices/gpu-runtime/status.ts';
export type { PrerequisiteCheck, PrerequisiteReport } from '../../devices/gpu-runtime/prerequisites.ts';

/** The back end's install in progress (or the last one's outcome). */
export type GpuInstallProgress = {
  running: boolean;
  phase: 'idle' | 'download' | 'extract' | 'verify' | 'done' | 'failed';
  file: string | null;
  receivedBytes: number;
  totalBytes: number | null;
  /** Bytes that were on disk from an earlier, interrupted download. */
  resumedFrom: number;
  error: string | null;
  /** The archive's measured digest and whether the app had it recorded (after a download). */
  archives: { name: string; sha256: string; bytes: number; recorded: boolean }[];
};

export type GpuSetupView = GpuSetupStatus & { install: GpuInstallProgress };

export const gpuSetupMethods = {
  /** `verify` re-runs the check through the installed runtime (a child process with a CUDA test session). */
  'gpuSetup.status': method<GpuSetupView>()(z.object({ verify: z.boolean().default(false) }).strict()),
  /** Starts the install in the back end (one at a time); poll `gpuSetup.status` for progress. */
  'gpuSetup.install': method<GpuInstallProgress>()(
    z
      .object({
        /** The user's explicit choice to install an archive whose digest this app has not recorded. */
        allowUnrecordedDigest: z.boolean().default(false),
      })
      .strict(),
  ),
};
