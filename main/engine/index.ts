// The training engine's public surface: the tensor IR and its ops, autodiff, lowering to ONNX, neural
// network composites, optimizer/train-step graphs, the ONNX emitter, the runtime that runs them, and
// checkpoints. The engine imports nothing from the rest of the app.

// IR
export { Graph, Tensor, Node, type TensorData, type TensorSource } from './ir/graph.ts';
export { DTYPES, FLOAT_DTYPES, isFloat, isInt, checkDType, type DType } from './ir/dtype.ts';
export { broadcastShapes, formatShape, normalizeDim, type Dim, type Shape } from './ir/dim.ts';
export { GraphBuildError } from './ir/errors.ts';

// Ops (use as `op.matmul(a, b)`), the primitive table, autodiff and lowering
export * as op from './ops/api.ts';
export { PRIMITIVES, type PrimitiveOp, type OpDef } from './ops/primitives.ts';
export { gradients, type GradientOptions } from './autodiff.ts';
export { chainSegments, checkpointedGradients, type CheckpointChain, type RecomputeSegment } from './recompute.ts';
export { lower, LoweringError, type LowerOptions } from './lower.ts';

// Composites
export * as nn from './nn/index.ts';

// Optimizer and train-step graphs
export { DEFAULT_ADAMW, adamwScalars, adamwUpdate, type AdamWConfig } from './optim/adamw.ts';
export { clipCoefficient, globalGradNorm } from './optim/clip.ts';
export {
  STEP_NAMES,
  buildApplyStep,
  buildGradAccumulationStep,
  buildTrainStep,
  type BuiltTrainStep,
  type CarriedValue,
  type OptimizerOptions,
  type TrainStepOptions,
  type TrainStepSignature,
  type TrainableIO,
  type ValueSpec,
} from './optim/train-step.ts';

// ONNX emitter
export { DEFAULT_OPSET, DEFAULT_IR_VERSION, type OnnxModel } from './onnx/model.ts';
export { encodeModel, encodeModelWithExternalData, saveModel, OnnxEmitError, type EncodedModel, type ExternalDataPolicy } from './onnx/emit.ts';

// Runtime, checkpoints, RNG
export * from './runtime/index.ts';
export { CHECKPOINT_FORMAT, latestCheckpointStep, loadCheckpoint, loadLatestCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.ts';
export { Rng, type RngState } from './rng.ts';
