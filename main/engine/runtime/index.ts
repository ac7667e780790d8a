// The executor's public surface: provider choice, the train-step runner, sessions per shape bucket,
// tensors and errors. (The engine's index re-exports from here.)
export { chooseExecutionProvider, onnxruntimeBinFolder, type ExecutionProviderName, type ProviderChoice, type ProviderRequest } from './providers.ts';
export {
  TrainStepRunner,
  type BatchFeed,
  type BuiltStepGraph,
  type InitialTrainState,
  type StepResult,
  type TrainState,
  type TrainStepGraphs,
  type TrainStepRunnerOptions,
} from './train-step-runner.ts';
export { EXTERNAL_DATA_PIECE_BYTES, StepGraph, validateWiring, type GraphWiring } from './step-graph.ts';
export { StateStore } from './state-store.ts';
export { SessionCache, bucketKey, bucketSize, type DimBucket } from './session-cache.ts';
export { type HostTensor, toOrtTensor, toHostTensor, tensorByteSize } from './tensors.ts';
export { processTraffic, trafficSince, type Traffic } from './traffic.ts';
export { NonFiniteLossError, OnnxRunError } from './errors.ts';
export { LoopStepRunner, type LoopBatch, type LoopRunResult } from './loop-step-runner.ts';
export { TrainSteps, type StepRunnerKind, type StepsRun, type TrainStepsOptions } from './train-steps.ts';
