// `saenggak serve`: the app in a browser (serve mode, main/server.ts). Listens on 127.0.0.1 unless --host
// says otherwise; prints the URL that carries the access token.
import type { Command } from 'commander';
import { cliAction, WORKSPACE_ENV } from './workspace.ts';

type ServeOptions = { host: string; port: string; workspace?: string; ui?: string };

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the app to a browser over HTTP (token-protected; loopback only unless --host)')
    .option('--host <host>', 'interface to listen on (other than loopback exposes the app to the network)', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '5123')
    .option('--workspace <dir>', `workspace to open at start (default: $${WORKSPACE_ENV}); created when missing`)
    .option('--ui <dir>', 'folder of the built UI (default: dist/renderer)')
    .action(
      cliAction(async (options: ServeOptions) => {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${options.port}"`);
        const { startServer, isLoopback } = await import('../server.ts');
        if (!isLoopback(options.host)) {
          process.stderr.write(
            `\n  WARNING: listening on ${options.host}, not loopback. Anyone who can reach this port and learns the\n` +
              '  token can read and change your workspace. Prefer an SSH tunnel (ssh -L 5123:127.0.0.1:5123 host).\n\n',
          );
        }
        const server = await startServer({
          host: options.host,
          port,
          workspace: options.workspace ?? process.env[WORKSPACE_ENV],
          staticDir: options.ui,
        });
        process.stdout.write(`Saenggak Lab is serving at:\n\n  ${server.url}\n\nOpen it in a browser. Ctrl+C stops.\n`);
        const stop = () => {
          process.stderr.write('stopping…\n');
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
    );
}
