// gpuSetup.*: one installer per app session. The install runs in this process (it is network and disk
// work, no onnxruntime), reports progress into a plain object the page polls, and ends with the same
// verification `saenggak setup gpu` runs.
import type { HandlerGroup } from '../router.ts';
import type { AppSession } from '../session.ts';
import type { GpuInstallProgress } from '../contracts/gpuSetup.ts';
import { installGpuRuntime } from '../../devices/gpu-runtime/install.ts';
import { gpuSetupStatus } from '../../devices/gpu-runtime/status.ts';
import { getDevices } from '../../devices/index.ts';

const IDLE: GpuInstallProgress = { running: false, phase: 'idle', file: null, receivedBytes: 0, totalBytes: null, resumedFrom: 0, error: null, archives: [] };

class GpuInstaller {
  progress: GpuInstallProgress = { ...IDLE };
  #abort = new AbortController();

  start(allowUnrecordedDigest: boolean): GpuInstallProgress {
    if (this.progress.running) return this.progress;
    this.#abort = new AbortController();
    this.progress = { ...IDLE, running: true, phase: 'download' };
    void installGpuRuntime({
      allowUnrecordedDigest,
      signal: this.#abort.signal,
      onProgress: (p) => {
        if (p.phase === 'download') {
          Object.assign(this.progress, { phase: 'download', file: p.file, receivedBytes: p.receivedBytes, totalBytes: p.totalBytes, resumedFrom: p.resumedFrom });
        } else if (p.phase === 'extract') Object.assign(this.progress, { phase: 'extract', file: p.file });
      },
    }).then(
      async (result) => {
        this.progress.archives = result.archives;
        this.progress.phase = 'verify';
        await gpuSetupStatus({ verify: true }).catch(() => undefined);
        // Providers are probed again so the page's table shows CUDA through the new runtime.
        await getDevices(true).catch(() => undefined);
        Object.assign(this.progress, { running: false, phase: 'done' });
      },
      (error: Error) => Object.assign(this.progress, { running: false, phase: 'failed', error: error.message }),
    );
    return this.progress;
  }

  stop(): void {
    this.#abort.abort(new Error('the app is closing'));
  }
}

const installers = new WeakMap<AppSession, GpuInstaller>();

function installer(session: AppSession): GpuInstaller {
  let found = installers.get(session);
  if (!found) {
    const created = new GpuInstaller();
    found = created;
    installers.set(session, created);
    session.onClose(async () => created.stop());
  }
  return found;
}

export const gpuSetupHandlers: HandlerGroup<'gpuSetup'> = {
  'gpuSetup.status': async (input, ctx) => ({ ...(await gpuSetupStatus({ verify: input.verify })), install: { ...installer(ctx.session).progress } }),
  'gpuSetup.install': (input, ctx) => ({ ...installer(ctx.session).start(input.allowUnrecordedDigest) }),
};
