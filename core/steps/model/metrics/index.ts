/** The evaluation library of the model steps: pure functions of labels, predictions and weights. */
export { accuracy, balancedAccuracy } from './accuracy.js';
export { anomalyMetrics, DEFAULT_ANOMALY_THRESHOLD, type AnomalyMetrics, type AnomalyReport, type AnomalyThreshold } from './anomaly.js';
export { averagePrecision, averagePrecisionOneVsRest } from './average-precision.js';
export {
  classificationMetrics,
  type ClassificationInput,
  type ClassificationMetrics,
  type ClassificationReport,
  type ClassMetrics,
} from './classification.js';
export { confusionMatrix, type ConfusionMatrix } from './confusion.js';
export { DEFAULT_CURVE_POINTS, prPoints, rocPoints, type CurveInput, type PrPoint, type RocPoint } from './curves.js';
export { betterMap, METRIC_DIRECTIONS, metricDirection, type Direction } from './direction.js';
export { distribution, quantile, type Distribution } from './distribution.js';
export { MetricsInputError } from './errors.js';
export {
  DEFAULT_REPEATS,
  permutationImportance,
  type FeatureImportance,
  type PermutationImportance,
  type PermutationImportanceInput,
} from './importance.js';
export { LOG_LOSS_EPS, logLoss } from './log-loss.js';
export { type OneVsRest } from './one-vs-rest.js';
export {
  confusionRecords,
  DEFAULT_SCATTER_POINTS,
  importanceRecords,
  predictedVsActualRecords,
  residualRecords,
  type ConfusionRecord,
  type ImportanceRecord,
  type PredictedActualRecord,
  type ResidualRecord,
} from './plot-records.js';
export { precisionRecallF1, type AveragedScores, type ClassScores, type PrecisionRecallF1 } from './precision-recall-f1.js';
export { argmaxClasses, classesAtThreshold, column, oneVsRest } from './predict-classes.js';
export { regressionMetrics, type RegressionMetrics, type RegressionReport } from './regression.js';
export { rocAuc, rocAucOneVsRest } from './roc-auc.js';
export {
  binaryMetricsAt,
  chooseThreshold,
  DEFAULT_THRESHOLD,
  DEFAULT_THRESHOLD_RULE,
  formatThresholdRule,
  parseThresholdRule,
  type BinaryMetrics,
  type ThresholdChoice,
  type ThresholdRule,
} from './threshold.js';
