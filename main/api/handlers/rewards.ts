// rewards.evaluate: the Reward playground's one call, a thin adapter over rewards/playground.ts (the same
// computeRewards every stage uses, plus what a person needs to see why).
import type { HandlerGroup } from '../router.ts';
import { evaluateRewards } from '../../rewards/playground.ts';

export const rewardsHandlers: HandlerGroup<'rewards'> = {
  'rewards.evaluate': (input) => evaluateRewards(input),
};
