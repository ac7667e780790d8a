// What every trainer shares: the run folder layout, durable metrics, the learning-rate schedule and the
// divergence guard.
export { RunFolder, listRuns, freeRunName, validateRunName, RUN_FORMAT, type RunInfo, type RunKind, type RunStatus } from './run-folder.ts';
export { MetricsLog, readMetrics, type MetricRecord, type MetricsPage } from './metrics-log.ts';
export { learningRateAt, type LrSchedule, type LrDecay } from './schedule.ts';
export { assertFinite, TrainingDivergedError } from './divergence.ts';
export { holdForTest, testHoldStep } from './test-hold.ts';
