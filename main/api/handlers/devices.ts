// devices.*: the device report (cached until refresh) and live GPU telemetry (one sampler per session).
import type { HandlerGroup } from '../router.ts';
import type { AppSession } from '../session.ts';
import { getDevices } from '../../devices/index.ts';
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
};
