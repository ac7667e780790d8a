// Child process for the kill-and-resume build test: `saenggak data build` as main/cli.ts will wire it.
//   node --import tsx test/unit/build/build-cli-child.ts data build RECIPE --workspace DIR --json
import { Command } from 'commander';
import { registerDataCommands } from '../../../main/cli/data.ts';
import { registerBuildCommands } from '../../../main/cli/build.ts';

const program = new Command('saenggak');
registerDataCommands(program);
registerBuildCommands(program);
await program.parseAsync(process.argv);
