// One-way layers, checked by `npm run check:deps` (part of `npm test`). docs/architecture.md draws them.
//
//   ui (renderer/)
//    → api (main/api, main/cli, main/server, the entry files main/*.ts)
//    → orchestration (main/jobs, main/pipeline, main/export/verl: it exports a whole pipeline recipe)
//    → stages (main/data, main/pairs, main/train, main/eval, main/export, main/reward-server)
//    → llm (main/llm: the OpenAI-compatible client used by data, pairs and the judge)
//    → models (main/models)
//    → base (main/engine, main/store, main/rewards, main/devices, main/http: each usable alone; devices may
//      use the engine)
//
// A layer may import any layer below it, never one above; a stage does not import another stage. Type-only
// imports count: they are what closed the import loop through api/contract.ts. Each rule below is one
// forbidden direction; its name is what a violation prints. No temporary exceptions remain.

/** Path patterns of each layer (relative to the repository root). */
const layer = {
  ui: '^renderer/',
  api: '^main/(api|cli|server)/|^main/[^/]+\\.ts$',
  orchestration: '^main/(jobs|pipeline)/|^main/export/verl/',
  stages: '^main/(data|pairs|train|eval|reward-server)/|^main/export/(?!verl/)',
  llm: '^main/llm/',
  models: '^main/models/',
  base: '^main/(engine|store|rewards|devices|http)/',
};

/** `a|b|…` of several layers, for a rule's from or to. */
const any = (...names) => names.map((n) => layer[n]).join('|');

/** A forbidden direction. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to });

module.exports = {
  forbidden: [
    forbid('ui-only-contract', 'The renderer talks to the back end only through the contract (types from main/api/contract.ts).', { path: layer.ui }, {
      path: '^main/',
      pathNot: '^main/api/contract\\.ts$',
    }),
    forbid('no-main-to-ui', 'The back end never imports renderer code.', { path: '^main/' }, { path: layer.ui }),
    forbid(
      'no-up-to-api',
      'Only front doors import the api layer: domain types live with their module (store/types.ts, jobs/types.ts, …) and the contract re-exports them.',
      { path: any('orchestration', 'stages', 'llm', 'models', 'base') },
      { path: layer.api },
    ),
    forbid(
      'no-up-to-orchestration',
      'Stages and below do not know about jobs or the pipeline (or the verl exporter that reads pipeline recipes).',
      { path: any('stages', 'llm', 'models', 'base') },
      { path: layer.orchestration },
    ),
    forbid('no-up-to-stages', 'The llm client, models and base modules do not import a stage.', { path: any('llm', 'models', 'base') }, { path: layer.stages }),
    forbid('no-up-to-llm', 'Models and base modules do not call LLM endpoints; the judge is passed in to rewards.', { path: any('models', 'base') }, { path: layer.llm }),
    forbid('no-up-to-models', 'Base modules (engine, store, rewards, devices, http) do not import models.', { path: layer.base }, { path: layer.models }),
    forbid(
      'stages-independent',
      'A stage does not import another stage; what two stages share moves down (llm/, store/, models/).',
      { path: '^main/(data|pairs|train|eval|reward-server)/' },
      { path: '^main/(data|pairs|train|eval|reward-server)/|^main/export/(?!verl/)', pathNot: '^main/$1/' },
    ),
    forbid(
      'export-independent',
      'export/ (gguf, hub) does not import another stage.',
      { path: '^main/export/(?!verl/)' },
      { path: '^main/(data|pairs|train|eval|reward-server)/' },
    ),
    forbid(
      'base-independent',
      'Base modules do not import one another: each is usable alone (devices may use engine, below).',
      { path: '^main/(engine|store|rewards|http)/' },
      { path: '^main/(engine|store|rewards|devices|http)/', pathNot: '^main/$1/' },
    ),
    forbid(
      'base-independent',
      'devices probes providers with a tiny model built by the engine; it imports nothing else of the base.',
      { path: '^main/devices/' },
      { path: '^main/(store|rewards|http)/' },
    ),
    forbid('pipeline-not-to-jobs', 'Jobs run pipelines; the pipeline does not know about the job runner.', { path: '^main/pipeline/' }, { path: '^main/jobs/' }),
    forbid(
      'pipeline-not-to-verl',
      'The verl exporter reads pipeline recipes, so the pipeline does not load it (the pipeline handler serves its preview, export/verl/preview.ts).',
      { path: '^main/pipeline/' },
      { path: '^main/export/verl/' },
    ),
    forbid(
      'no-circular',
      'No import cycles (type-only imports included), except inside engine/ops where op tables and their builders refer to each other.',
      { pathNot: '^main/engine/ops/' },
      { circular: true, viaSomeNot: '^main/engine/ops/' },
    ),
  ],
  options: {
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|dist-electron)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.svelte'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
