// The app's own reward server: at most one per back end, switched on and off from the Devices page
// (rewardServer.* in main/api/handlers/reward-server.ts). It is the same server `saenggak serve rewards`
// runs (main/reward-server/server.ts); this module adds what the UI needs around it: the config it was
// started with, when, a status snapshot with the live metrics, and errors a person can act on.
//
// The server does not hold the process open (no `ref` on its socket or workers): quitting the app or
// stopping serve mode ends it with the process, so a forgotten switch never keeps a back end alive.
import { isAbsolute, resolve } from 'node:path';
import type { RewardConfig } from '../rewards/index.ts';
import { isLoopbackHost } from '../http/auth.ts';
import { DEFAULT_SERVED_REWARDS, loadRewardConfigFile } from './config.ts';
import type { RewardMetricsSnapshot } from './metrics.ts';
import { REWARDS_PATH, startRewardServer, type RewardServerOptions, type RunningRewardServer } from './server.ts';

export type RewardServerStartOptions = {
  host: string;
  port: number;
  /** A reward config YAML; relative paths are read from `baseDir` (the workspace). Default: DEFAULT_SERVED_REWARDS. */
  config?: string;
  /** Must be true to listen on anything but loopback: the server is then reachable from the network. */
  exposeToNetwork?: boolean;
};

export type RewardServerStatus = {
  running: boolean;
  /** Where it listens (or last listened); `origin` is the base URL verl's client takes, null when stopped. */
  host: string;
  port: number;
  origin: string | null;
  /** POST endpoint, for curl and other clients. */
  rewardsUrl: string | null;
  /** The bearer token of this start; null when stopped. */
  token: string | null;
  workers: number | null;
  /** ISO time of the start. */
  startedAt: string | null;
  /** The config file, or null for the built-in default; and the components with their weights. */
  config: { path: string | null; weights: Record<string, number> } | null;
  /** Requests/s, items/s and latency percentiles over the last `windowSeconds`; totals since the start. */
  metrics: (RewardMetricsSnapshot & { inFlight: number }) | null;
};

/** A failure the UI shows as is; `code` is stable (port_in_use, not_loopback, ...). */
export class RewardServerHostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Started = { server: RunningRewardServer; host: string; startedAt: Date; configPath: string | null; config: RewardConfig };

function weightsOf(config: RewardConfig): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const name of ['accuracy', 'format', 'language'] as const) {
    const component = config[name];
    if (component) weights[name] = component.weight;
  }
  return weights;
}

/** Turns the listen errors people hit into messages that say what to change. */
function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new RewardServerHostError('port_in_use', `port ${port} on ${host} is already in use (another reward server or program); choose another port, or 0 for any free one`);
  }
  if (code === 'EACCES') return new RewardServerHostError('port_denied', `not allowed to listen on port ${port}: ports below 1024 need administrator rights; choose a higher one`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new RewardServerHostError('bad_host', `cannot listen on "${host}": not an address of this machine`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export class RewardServerHost {
  #started: Started | null = null;
  /** Serialises start/stop so two quick clicks cannot start two servers. */
  #busy: Promise<unknown> = Promise.resolve();
  #last = { host: '127.0.0.1', port: 0 };

  constructor(private readonly serverDefaults: Partial<RewardServerOptions> = {}) {}

  get running(): boolean {
    return this.#started !== null;
  }

  /** Starts the server; fails with `already_running` when one is up (stop it first to change settings). */
  start(options: RewardServerStartOptions, baseDir?: string): Promise<RewardServerStatus> {
    return this.#serialise(async () => {
      if (this.#started) throw new RewardServerHostError('already_running', `the reward server is already running at ${this.#started.server.origin}; stop it first`);
      const host = options.host.trim();
      if (!host) throw new RewardServerHostError('bad_host', 'give an interface to listen on, e.g. 127.0.0.1');
      if (!isLoopbackHost(host) && !options.exposeToNetwork) {
        throw new RewardServerHostError('not_loopback', `listening on ${host} makes the reward server reachable from the network; confirm that choice to go on`);
      }
      const configPath = options.config?.trim() ? this.#resolveConfigPath(options.config.trim(), baseDir) : null;
      let config: RewardConfig;
      try {
        config = configPath ? await loadRewardConfigFile(configPath) : DEFAULT_SERVED_REWARDS;
      } catch (error) {
        throw new RewardServerHostError('bad_config', (error as Error).message);
      }
      let server: RunningRewardServer;
      try {
        server = await startRewardServer({ ...this.serverDefaults, config, host, port: options.port, holdProcess: false });
      } catch (error) {
        throw listenError(error, host, options.port);
      }
      this.#started = { server, host, startedAt: new Date(), configPath, config };
      this.#last = { host, port: server.port };
      return this.status();
    });
  }

  /** Stops the server if it runs; open connections are closed. */
  stop(): Promise<RewardServerStatus> {
    return this.#serialise(async () => {
      const started = this.#started;
      this.#started = null;
      if (started) await started.server.close();
      return this.status();
    });
  }

  status(): RewardServerStatus {
    const started = this.#started;
    if (!started) {
      return { running: false, ...this.#last, origin: null, rewardsUrl: null, token: null, workers: null, startedAt: null, config: null, metrics: null };
    }
    const { server } = started;
    return {
      running: true,
      ...this.#last,
      origin: server.origin,
      rewardsUrl: `${server.origin}${REWARDS_PATH}`,
      token: server.token,
      workers: server.workers,
      startedAt: started.startedAt.toISOString(),
      config: { path: started.configPath, weights: weightsOf(started.config) },
      metrics: { ...server.metrics.snapshot(), inFlight: server.inFlight() },
    };
  }

  #resolveConfigPath(path: string, baseDir: string | undefined): string {
    if (isAbsolute(path)) return path;
    if (!baseDir) throw new RewardServerHostError('bad_config', `"${path}" is a relative path and no workspace is open: give an absolute path`);
    return resolve(baseDir, path);
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(work);
    this.#busy = next.catch(() => undefined);
    return next;
  }
}
