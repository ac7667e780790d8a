// `saenggak serve`: the app in a browser (serve mode, main/server.ts). Listens on 127.0.0.1 unless --host
// says otherwise; prints the URL that carries the access token.
// `saenggak serve rewards`: the reward composition over HTTP for trainers elsewhere (main/reward-server/server.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isLoopbackHost } from '../http/auth.ts';
import { cliAction, WORKSPACE_ENV } from './workspace.ts';

type ServeOptions = { host: string; port: string; workspace?: string; ui?: string; allowPath: string[]; allowHost: string[]; allowOrigin?: string };
type ServeRewardsOptions = {
  host: string;
  port: string;
  workspace?: string;
  config?: string;
  workers?: string;
  itemTimeout: string;
  maxBatch: string;
  maxBodyMb: string;
};

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${value}"`);
  return port;
}

function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

function warnIfExposed(host: string, port: number, what: string): void {
  if (isLoopbackHost(host)) return;
  process.stderr.write(
    `\n  WARNING: listening on ${host}, not loopback. Anyone who can reach this port and learns the\n` +
      `  token can ${what}. Prefer an SSH tunnel (ssh -L ${port}:127.0.0.1:${port} host).\n\n`,
  );
}

function stopOnSignals(server: { close(): Promise<void> }): void {
  const stop = () => {
    process.stderr.write('stopping…\n');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * `serve rewards --port 1` puts the value on `serve`: commander parses the parent's own options wherever they
 * appear unless positional options are enabled on the whole program. Values given on the command line to
 * `serve` therefore apply to `rewards` (its defaults stay its own).
 */
function takeSharedOptionsFromParent(options: ServeRewardsOptions, command: Command): void {
  const parent = command.parent;
  if (!parent) return;
  for (const key of ['host', 'port', 'workspace'] as const) {
    if (parent.getOptionValueSource(key) === 'cli') options[key] = parent.getOptionValue(key) as string;
  }
}

export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('serve the app to a browser over HTTP (token-protected; loopback only unless --host)')
    .option('--host <host>', 'interface to listen on (other than loopback exposes the app to the network)', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '5123')
    .option('--workspace <dir>', `workspace to open at start (default: $${WORKSPACE_ENV}); created when missing`)
    .option(
      '--allow-path <dir>',
      'a folder the browser may read and write besides the workspace (repeatable; everything else is refused)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--allow-host <name>',
      'a host name the browser may use for this server besides localhost and IP addresses (repeatable; others are refused as DNS rebinding)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--allow-origin <origin>',
      'the one other origin whose page may use this server as a remote lab (e.g. http://localhost:5123, a browser UI on your machine; the desktop app is always allowed); the token is still required',
    )
    .option('--ui <dir>', 'folder of the built UI (default: dist/renderer, built first when missing or older than its sources)')
    .action(
      cliAction(async (options: ServeOptions) => {
        const port = parsePort(options.port);
        // A fresh clone has no built UI, and a pull can leave a stale one: build it first (seconds).
        if (!options.ui) await (await import('../server/ui-build.ts')).ensureUiBuilt();
        const { startServer } = await import('../server.ts');
        warnIfExposed(options.host, port, 'read and change your workspace');
        const workspace = options.workspace ?? process.env[WORKSPACE_ENV];
        // With neither a workspace nor --allow-path the browser could open nothing: the current folder it is.
        const allowPaths = options.allowPath.map((p) => resolve(p));
        if (!workspace && allowPaths.length === 0) allowPaths.push(process.cwd());
        const server = await startServer({ host: options.host, port, workspace, staticDir: options.ui, allowPaths, allowedHostNames: options.allowHost, allowOrigin: options.allowOrigin });
        const scope = [...(workspace ? [resolve(workspace)] : []), ...allowPaths];
        process.stdout.write(
          `Saenggak Lab is serving at:\n\n  ${server.url}\n\nOpen it in a browser. Ctrl+C stops.\n` +
            `Files: the browser may read and write only inside ${scope.join(', ')} (add folders with --allow-path DIR).\n`,
        );
        stopOnSignals(server);
      }),
    );

  serve
    .command('rewards')
    .description('serve the rule-based rewards over HTTP (POST /v1/rewards) for verl and other trainers')
    .option('--host <host>', 'interface to listen on (other than loopback exposes the server to the network)', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '5124')
    .option('--workspace <dir>', `workspace (default: $${WORKSPACE_ENV}); reserved for model-backed rewards, not read yet`)
    .option('--config <file>', 'reward config YAML: components and weights (default: accuracy 1, format 0.2, language 0.2)')
    .option('--workers <n>', 'scoring threads (default: number of cores)')
    .option('--item-timeout <ms>', 'longest time one item may take; slower items score 0 with a reason', '2000')
    .option('--max-batch <n>', 'most items per request', '4096')
    .option('--max-body-mb <n>', 'largest request body in MiB', '64')
    .action(
      cliAction(async (options: ServeRewardsOptions, command: Command) => {
        takeSharedOptionsFromParent(options, command);
        const port = parsePort(options.port);
        const { startRewardServer, REWARDS_PATH } = await import('../reward-server/server.ts');
        const { loadRewardConfigFile, DEFAULT_SERVED_REWARDS } = await import('../reward-server/config.ts');
        const config = options.config ? await loadRewardConfigFile(options.config) : DEFAULT_SERVED_REWARDS;
        warnIfExposed(options.host, port, 'use this machine to score rewards');
        const server = await startRewardServer({
          config,
          host: options.host,
          port,
          workers: options.workers === undefined ? undefined : positiveInteger('--workers', options.workers),
          itemTimeoutMs: positiveInteger('--item-timeout', options.itemTimeout),
          maxBatchItems: positiveInteger('--max-batch', options.maxBatch),
          maxBodyBytes: positiveInteger('--max-body-mb', options.maxBodyMb) * 2 ** 20,
        });
        process.stdout.write(
          `Saenggak rewards are serving at ${server.origin}${REWARDS_PATH}\n\n` +
            `  export SAENGGAK_REWARD_URL=${server.origin}\n  export SAENGGAK_REWARD_TOKEN=${server.token}\n\n` +
            `Components: ${Object.keys(config).filter((k) => k !== 'tags' && k !== 'normalize').join(', ')}. Ctrl+C stops.\n`,
        );
        stopOnSignals(server);
      }),
    );
}
