import type { HandlerGroup } from '../router.ts';
import { getDevices } from '../../devices/index.ts';

export const devicesHandlers: HandlerGroup<'devices'> = {
  'devices.info': (input) => getDevices(input.refresh),
};
