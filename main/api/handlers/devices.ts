// devices.*: the device report (cached until refresh) and live GPU telemetry (one sampler per session).
import type { HandlerGroup } from '../router.ts';
import type { AppSession } from '../session.ts';
import { getDevices } from '../../devices/index.ts';
import { deviceChoices } from '../../devices/device-choice.ts';
import { listGpus } from '../../devices/gpus.ts';
import { TelemetrySampler } from '../../devices/telemetry-sampler.ts';

const samplers = new WeakMap<AppSession, TelemetrySampler>();

function sampler(session: AppSession): TelemetrySampler {
  let found = samplers.get(session);
  if (!found) {
    const created = new TelemetrySampler();
    found = created;
    samplers.set(session, created);
    session.onClose(() => created.stop());
  }
  return found;
}

export const devicesHandlers: HandlerGroup<'devices'> = {
  'devices.info': (input) => getDevices(input.refresh),
  'devices.telemetry': (_input, ctx) => sampler(ctx.session).view(),
  'devices.choices': async (input, ctx) => {
    const info = await getDevices(input.refresh);
    // GPU memory changes: the list itself is read fresh (nvidia-smi, ~50 ms); the provider probe stays cached.
    const { gpus } = input.refresh ? info : await listGpus();
    const queues = ctx.session.current?.jobs.queues() ?? [];
    const lost = ctx.session.current?.jobs.lostDevices().map((l) => l.device) ?? [];
    return deviceChoices({ providers: info.providers, gpus }, queues, lost);
  },
};
