// Dataset building: teachers, resumable generation, filter steps, stats and the recipe that ties them.
export { runBuild, promptSourceName, type BuildOptions, type BuildProgress, type BuildResult } from './build.ts';
export { ensureHfFiles, hfDatasetDir, localShards, shardRows, type HfSource, type DownloadProgress } from './hf-prompts.ts';
export { readRecipeFile, parseRecipe, recipeSchema, RecipeError, type Recipe, type FilterRecipe, type TeacherRecipe, type EmbedderRecipe, type PromptSource } from './recipe.ts';
export { TeacherClient, TeacherError, readCompletion, type TeacherOptions, type TeacherReply } from '../../llm/teacher-client.ts';
export { TokenBucket } from '../../llm/token-bucket.ts';
export { ResponseLog, type LoggedResponse } from '../../llm/response-log.ts';
export { generateResponses, type GenerateOptions, type GenerationSummary } from '../../llm/generate.ts';
export { runFilters, type FilterRun, type FunnelStep } from './pipeline.ts';
export { findNearDuplicates, type NearDuplicateOptions, type NearDuplicateResult } from './near-duplicates.ts';
export { buildStats, lengthBins, type BuildStats, type LengthBin } from './stats.ts';
export { readBuildStats, buildDirOf, type StoredBuildStats } from './stored-stats.ts';
export { usageByTeacher, type TeacherPrice, type TeacherUsageTotals } from './usage.ts';
export type { BuildSample, FilterDecision, FilterContext, SampleFilter } from './sample.ts';
export * from './filters/index.ts';
