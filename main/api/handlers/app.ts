import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HandlerGroup } from '../router.ts';

/** The app's version from the nearest package.json (works from source and from the Electron bundle). */
function appVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'saenggak-lab' && pkg.version) return pkg.version;
    } catch {
      // no package.json here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

const version = appVersion();

export const appHandlers: HandlerGroup<'app'> = {
  'app.info': async (_input, ctx) => ({
    version,
    transport: ctx.transport,
    workspace: (await ctx.session.current?.workspace.info()) ?? null,
    allowedPaths: ctx.session.allowedPaths ? [...ctx.session.allowedPaths] : null,
  }),
};
