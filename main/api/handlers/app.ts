import { createRequire } from 'node:module';
import type { HandlerGroup } from '../router.ts';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

export const appHandlers: HandlerGroup<'app'> = {
  'app.info': async (_input, ctx) => ({
    version,
    transport: ctx.transport,
    workspace: (await ctx.session.current?.workspace.info()) ?? null,
  }),
};
