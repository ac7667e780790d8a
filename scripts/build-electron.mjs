#!/usr/bin/env node
// Bundles the Electron side with esbuild into dist-electron/:
//   app.js          main process (ESM)            from main/app.ts
//   preload.cjs     sandboxed preload (CommonJS)  from main/preload.ts
//   job-worker.js   job process entry (ESM)       from main/jobs/worker.ts
//   device-probe.js EP probe entry (ESM)          from main/devices/probe-provider.ts
//   reward-worker.js reward server's scoring thread from main/reward-server/worker.ts
//   quant-worker.js GGUF export's K-quant thread     from main/export/gguf/quant-worker.ts
//   saenggak_reward.py, recipes/                  copied: files the code reads beside itself
// Our TypeScript is bundled; npm packages stay external (loaded from node_modules, so native modules
// such as onnxruntime-node and @lancedb/lancedb keep working; electron-builder unpacks them from asar).
import { build } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// `--out DIR` bundles elsewhere (tests that build in parallel must not delete each other's dist-electron/).
const outArg = process.argv.indexOf('--out');
const outdir = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]) : resolve(root, 'dist-electron');
rmSync(outdir, { recursive: true, force: true });

const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: true, logLevel: 'warning', absWorkingDir: root };

await Promise.all([
  build({
    ...common,
    format: 'esm',
    packages: 'external',
    entryPoints: {
      app: 'main/app.ts',
      'job-worker': 'main/jobs/worker.ts',
      'device-probe': 'main/devices/probe-provider.ts',
      'reward-worker': 'main/reward-server/worker.ts',
      'quant-worker': 'main/export/gguf/quant-worker.ts',
    },
    outdir,
    outExtension: { '.js': '.js' },
    // Bundled ESM still needs require() for the few CommonJS paths some dependencies take.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }),
  build({
    ...common,
    format: 'cjs',
    // A sandboxed preload may require only 'electron': everything else is inlined.
    external: ['electron'],
    entryPoints: { preload: 'main/preload.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
  }),
]);
// Files the code reads at run time beside itself (`new URL('./x', import.meta.url)` resolves next to the
// bundle): the verl reward client the export copies, and the bundled recipes.
cpSync(resolve(root, 'main/export/verl/saenggak_reward.py'), resolve(outdir, 'saenggak_reward.py'));
cpSync(resolve(root, 'assets/recipes'), resolve(outdir, 'recipes'), { recursive: true });
console.log(`built ${outdir}: app.js, preload.cjs, job-worker.js, device-probe.js, reward-worker.js, quant-worker.js, saenggak_reward.py, recipes/`);
