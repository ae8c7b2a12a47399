/** Neural and linear models on TensorFlow.js: what the model steps use. */
export { BACKENDS, loadBackend, NnBackendError, type BackendChoice, type BackendInfo, type BackendName } from './backend.js';
export { fitNn, type FitNnOptions } from './fit-nn.js';
export { loadNn, NnModelFileError, type LoadNnOptions } from './load-nn.js';
export { NnModel, type NnFileMeta, type NnTraining } from './model.js';
export type { BatchRecord, LayerRecord } from './monitor.js';
export { NnSettingsError, type EarlyStopping, type NnActivation, type NnModelKind, type NnOptimizer, type NnSettings } from './settings.js';
