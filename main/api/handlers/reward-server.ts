// rewardServer.*: the Devices page's reward server switch. One RewardServerHost per app session (so one
// server per back end); relative config paths are read from the open workspace. The host's errors carry
// lowercase codes (port_in_use, not_loopback, bad_config, ...) that the router passes to the UI as they are.
import type { HandlerGroup } from '../router.ts';
import type { AppSession } from '../session.ts';
import { RewardServerHost } from '../../reward-server/host.ts';

const hosts = new WeakMap<AppSession, RewardServerHost>();

/** The session's reward server host, created on first use. */
export function rewardServerHost(session: AppSession): RewardServerHost {
  let host = hosts.get(session);
  if (!host) {
    const created = new RewardServerHost();
    host = created;
    hosts.set(session, created);
    session.onClose(async () => {
      await created.stop();
    });
  }
  return host;
}

export const rewardServerHandlers: HandlerGroup<'rewardServer'> = {
  'rewardServer.status': (_input, ctx) => rewardServerHost(ctx.session).status(),
  'rewardServer.start': (input, ctx) => rewardServerHost(ctx.session).start(input, ctx.session.current?.workspace.root),
  'rewardServer.stop': (_input, ctx) => rewardServerHost(ctx.session).stop(),
};
