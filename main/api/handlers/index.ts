// Every contract method's handler, merged into one map. `Handlers` requires a key per contract method,
// so adding a method to the contract without a handler fails the type check here.
import type { Handlers } from '../router.ts';
import { appHandlers } from './app.ts';
import { workspaceHandlers } from './workspace.ts';
import { datasetsHandlers } from './datasets.ts';
import { jobsHandlers } from './jobs.ts';
import { devicesHandlers } from './devices.ts';
import { rewardsHandlers } from './rewards.ts';
import { runsHandlers } from './runs.ts';
import { evalHandlers } from './eval.ts';
import { pairsHandlers } from './pairs.ts';
import { rmHandlers } from './rm.ts';
import { pipelineHandlers } from './pipeline.ts';
import { rewardServerHandlers } from './reward-server.ts';
import { neuronsHandlers } from './neurons.ts';
import { gpuSetupHandlers } from './gpu-setup.ts';

export const handlers: Handlers = {
  ...appHandlers,
  ...workspaceHandlers,
  ...datasetsHandlers,
  ...jobsHandlers,
  ...devicesHandlers,
  ...rewardsHandlers,
  ...runsHandlers,
  ...evalHandlers,
  ...pairsHandlers,
  ...rmHandlers,
  ...pipelineHandlers,
  ...rewardServerHandlers,
  ...neuronsHandlers,
  ...gpuSetupHandlers,
};
