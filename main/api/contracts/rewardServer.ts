// The reward server's part of the API contract (see ../contract.ts): the Devices page's switch that serves
// the app's rule-based rewards over HTTP to trainers elsewhere (verl through saenggak_reward.py).
// One server per back end; the status carries the token, which only the authenticated UI can read.
import { z } from 'zod';
import { method } from '../method.ts';
import type { RewardServerStatus } from '../../reward-server/host.ts';
import { DEFAULT_REWARD_PORT } from '../../reward-server/server.ts';

export type { RewardServerStatus } from '../../reward-server/host.ts';
export type { RewardMetricsSnapshot } from '../../reward-server/metrics.ts';

const startInput = z
  .object({
    /** Interface to listen on; anything but loopback also needs `exposeToNetwork`. */
    host: z.string().trim().min(1).max(255).default('127.0.0.1'),
    /** 0 = any free port. */
    port: z.number().int().min(0).max(65535).default(DEFAULT_REWARD_PORT),
    /** A reward config YAML (absolute, or relative to the workspace); default accuracy 1, format 0.2, language 0.2. */
    config: z.string().max(4096).optional(),
    /** The explicit "yes, reachable from the network" for a non-loopback host. */
    exposeToNetwork: z.boolean().default(false),
  })
  .strict();
export type RewardServerStartInput = z.input<typeof startInput>;

export const rewardServerMethods = {
  /** Running or not; when running: address, token, workers, config and the live request rate and latency. */
  'rewardServer.status': method<RewardServerStatus>()(z.object({})),
  /** Starts the server with a fresh token; fails with port_in_use, not_loopback, bad_config or already_running. */
  'rewardServer.start': method<RewardServerStatus>()(startInput),
  /** Stops the server (no-op when it is not running). */
  'rewardServer.stop': method<RewardServerStatus>()(z.object({})),
};
