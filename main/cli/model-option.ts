// Every `--model <dir>` (and `--base <dir>`) of the CLI goes through the one model resolver
// (main/models/resolve.ts): a folder as given, or a Hugging Face id found in the local Hub cache at
// `--revision` (default main). The same commands take `--lenient` (safetensors salvage mode). Installed once over the whole command tree so a command added later
// gets it too, and so no command reads a Hub id as a relative path.
import type { Command, Option } from 'commander';
import { resolveModelPath } from '../models/resolve.ts';
import { setSafetensorsLenientDefault } from '../engine/safetensors.ts';

const MODEL_FLAGS = new Set(['--model', '--base']);

function modelOptions(command: Command): Option[] {
  return command.options.filter((o) => o.long && MODEL_FLAGS.has(o.long) && /<dir>/.test(o.flags));
}

/** Adds `--revision` and a pre-action resolution to every command (recursively) that takes a model folder. */
export function installModelResolution(root: Command): void {
  const visit = (command: Command): void => {
    const options = modelOptions(command);
    if (options.length) {
      for (const o of options) o.description += ' — or a Hugging Face id (owner/name) found in the local Hub cache';
      command.option('--revision <rev>', 'branch, tag or commit hash when --model is a Hugging Face id (default: main)');
      command.option('--lenient', 'read safetensors files that break the format (holes, overlaps, trailing bytes, duplicate keys) to salvage them');
      // A parent's hook fires for its subcommands too (`eval rm` copies `eval`'s options), so each
      // hook resolves the values of the command it was installed on.
      command.hook('preAction', (self) => {
        const values = self.opts() as Record<string, unknown>;
        if (values.lenient === true) setSafetensorsLenientDefault(true);
        for (const o of options) {
          const key = o.attributeName();
          const value = values[key];
          if (typeof value !== 'string') continue;
          try {
            // Keep the value's source ('cli'): `eval rm` copies only the parent's options given on the command line.
            self.setOptionValueWithSource(key, resolveModelPath(value, { revision: values.revision as string | undefined }), self.getOptionValueSource(key));
          } catch (error) {
            // Same shape as cliAction's errors; nothing has started yet, so exiting here is clean.
            process.stderr.write(`saenggak: ${(error as Error).message}\n`);
            process.exit(1);
          }
        }
      });
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(root);
}
