/** Histogram-based gradient-boosted trees: the public surface. */
export { fitGbdt, AUTO_EARLY_STOPPING_ROWS, type FitGbdtOptions } from './fit.js';
export { GbdtModel, GBDT_FORMAT, GBDT_FORMAT_VERSION, type GbdtJson, type GbdtTreeJson } from './model.js';
export { gbdtFromJSON } from './from-json.js';
export {
  checkGbdtSettings,
  resolveGbdtSettings,
  GBDT_DEFAULTS,
  type GbdtSettings,
  type GbdtSettingsInput,
  type GbdtTask,
} from './settings.js';
export { GbdtDataError, GbdtModelFormatError, GbdtSettingsError, GbdtTaskError, type GbdtSettingProblem } from './errors.js';
export type { GbdtTree } from './tree.js';
