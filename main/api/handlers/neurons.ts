// Handlers of the neurons area's contract methods (contracts/neurons.ts): read-only views of selection files.
import type { HandlerGroup } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import { listSelections, readSelectionIn } from '../../models/neurons/catalog.ts';
import { selectionOverlap } from '../../models/neurons/selection-file.ts';

function read(root: string, path: string) {
  try {
    return readSelectionIn(root, path);
  } catch (error) {
    throw new ApiFailure('not_found', (error as Error).message);
  }
}

export const neuronsHandlers: HandlerGroup<'neurons'> = {
  'neurons.list': (_input, ctx) => listSelections(ctx.session.requireWorkspace().workspace.root),
  'neurons.get': (input, ctx) => read(ctx.session.requireWorkspace().workspace.root, input.path),
  'neurons.overlap': (input, ctx) => {
    const root = ctx.session.requireWorkspace().workspace.root;
    return selectionOverlap(read(root, input.a), read(root, input.b));
  },
};
