import type { HandlerGroup } from '../router.ts';

export const workspaceHandlers: HandlerGroup<'workspace'> = {
  'workspace.open': (input, ctx) => ctx.session.openWorkspace(input.path, input.create),
  'workspace.current': async (_input, ctx) => (await ctx.session.current?.workspace.info()) ?? null,
};
