// `saenggak`: the app's capabilities from a terminal. Each command group lives in main/cli/*.ts and
// registers itself here; heavy modules are imported inside actions so `--help` stays instant.
// First import: onnxruntime's binding comes from the installed GPU runtime when there is one (#29).
import './devices/gpu-runtime/redirect.ts';
import { Command } from 'commander';
import { registerWorkspaceCommands } from './cli/workspace.ts';
import { registerDataCommands } from './cli/data.ts';
import { registerBuildCommands } from './cli/build.ts';
import { registerDevicesCommand } from './cli/devices.ts';
import { registerSetupCommands } from './cli/setup.ts';
import { addDeviceOptions } from './cli/device-option.ts';
import { registerServeCommand } from './cli/serve.ts';
import { registerRewardCommands } from './cli/reward.ts';
import { registerModelCommands } from './cli/model.ts';
import { registerGenerateCommand } from './cli/generate.ts';
import { registerTrainCommands } from './cli/train.ts';
import { registerEvalCommand } from './cli/eval.ts';
import { registerEvalRmCommand } from './cli/eval-rm.ts';
import { registerPairsCommands } from './cli/pairs.ts';
import { registerPipelineCommands } from './cli/pipeline.ts';
import { registerExportCommands } from './cli/export.ts';
import { registerHubCommands } from './cli/hub.ts';
import { registerNeuronsCommands } from './cli/neurons.ts';
import { registerSelfCorrectCommand } from './cli/data-selfcorrect.ts';
import { installModelResolution } from './cli/model-option.ts';
import { installEpipeGuard } from './cli/epipe.ts';

export function buildProgram(): Command {
  const program = new Command('saenggak')
    .description('Saenggak Lab: build small reasoning models that think in Korean')
    .version('0.1.0')
    .showHelpAfterError();
  registerWorkspaceCommands(program);
  registerDataCommands(program);
  registerBuildCommands(program); // adds `data build` to the data group
  registerSelfCorrectCommand(program); // adds `data selfcorrect`
  registerDevicesCommand(program);
  registerSetupCommands(program);
  registerServeCommand(program);
  registerRewardCommands(program);
  registerModelCommands(program);
  registerGenerateCommand(program);
  registerTrainCommands(program);
  registerEvalRmCommand(registerEvalCommand(program)); // `eval rm` hangs under `eval`
  registerPairsCommands(program);
  registerPipelineCommands(program);
  registerExportCommands(program);
  registerHubCommands(program);
  registerNeuronsCommands(program);
  // --device cpu|webgpu[:N]|cuda[:N] on the long commands (#21); before the model hooks so a wrong device fails first.
  addDeviceOptions(program);
  installModelResolution(program); // every --model / --base: a folder or a Hub id in the local cache
  return program;
}

export async function main(argv: string[]): Promise<void> {
  installEpipeGuard(); // `--json | head` ends quietly instead of crashing on EPIPE
  await buildProgram().parseAsync(argv);
}
