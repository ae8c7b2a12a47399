/**
 * gitml's programmatic surface: the CLI operations as functions, and the pure pieces (parsing, graph, status,
 * planning, lockfile) for tools such as the CI actions that need no disk or processes.
 */

// Operations, one per CLI command.
export { checkout, type CheckoutEntry } from './commands/checkout.js';
export { cacheVerify, type VerifyResult } from './commands/cache-verify.js';
export { dag } from './commands/dag.js';
export { fullDiff, metricsDiff, paramsDiff, type DiffOptions, type FullDiffResult, type ValuesDiffResult } from './commands/diff.js';
export { expApply, expBranch, expRemove, expRun, expShow, type ExpRow, type ExpRunOptions, type ExpRunResult } from './commands/exp.js';
export { mergeLock } from './commands/merge-lock.js';
export { push, pull, fetchFromRemote, remoteStatus, type TransferOptions, type PushResult, type FetchResult, type PullResult, type RemoteStatusResult } from './commands/transfer.js';
export { remoteAdd, remoteModify, remoteRemove, remoteList, remoteSetDefault, remoteDefault, REMOTE_KEYS } from './commands/remote.js';
export { plotsShow, plotsDiff } from './commands/plots.js';
export { reproRev, type ReproRevOptions, type ReproRevResult } from './commands/repro-rev.js';
export { gc, type GcOptions, type GcResult } from './commands/gc.js';
export { init, type InitResult } from './commands/init.js';
export { metricsShow, type MetricsShowResult } from './commands/metrics-show.js';
export { paramsShow } from './commands/params-show.js';
export { repro, type ReproOptions, type ReproResult, type ReproSummary, type StageResult } from './commands/repro.js';
export { status, type StatusResult } from './commands/status.js';
export { main as runCli, type CliIo } from './cli/main.js';

// Pure core.
export { parsePipeline, PIPELINE_FILE, DEFAULT_PARAMS_FILE, type ParseResult } from './pipeline/parse.js';
export type { Pipeline, Stage, Out, OutKind, PlotOptions, PlotTemplate, ReadText, MlYaml } from './pipeline/types.js';
export { buildGraph, topoOrder, closure, type Graph, type PathProbe } from './graph/build.js';
export { stageStatus, type StageStatus, type HashOf, type Restorable } from './plan/stage-status.js';
export { stageKeyRecord, serializeStageKey, type StageKeyRecord } from './plan/stage-key.js';
export { loadConfig, type MlConfig, type LinkMode, type ResolvedConfig } from './config.js';
export { planRepro, type PlannedStage, type PlanAction, type ReproPlanOptions } from './plan/plan-repro.js';
export { diffValues, diffStages, diffOutputs, type ValueDiff, type StageDiff, type OutputDiff, type Direction, type Verdict } from './diff/diff.js';
export { mergeLockfiles, type LockMerge } from './lockfile/merge.js';
export { openRepo, openSnapshot, resolveRevision, WORKSPACE, type Repo, type Revision, type Snapshot } from './git/revision.js';
export { parseLockfile, serializeLockfile, emptyLockfile, LOCKFILE, type Lockfile, type StageLock, type LockEntry } from './lockfile/lockfile.js';

// Packaged models: the library API over the ONNX file gitml/model/package writes.
export { loadModel, Model, ModelFileError, ModelInputError, type RowPrediction, type BatchPrediction, type Row, type Signature, type TensorSpec } from './serve/model.js';
export { predict, type PredictOptions, type PredictResult } from './commands/predict.js';

// Errors.
export {
  GitmlError,
  InvalidPipelineError,
  InvalidGraphError,
  InvalidConfigError,
  LockfileCorruptError,
  WorkspaceNotFoundError,
  UnknownStageError,
  CacheMissError,
  StageFailedError,
  InterruptedError,
  WorkspaceBusyError,
  UsageError,
  formatProblem,
  type Problem,
} from './errors.js';
