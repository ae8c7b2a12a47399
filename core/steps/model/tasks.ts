import type { Task } from './types.js';

/** The models `gitml/model/train` fits. */
export type ModelKind = 'linear' | 'logistic' | 'mlp' | 'autoencoder' | 'gbdt';

/** The tasks each model does. */
export const MODEL_TASKS: Readonly<Record<ModelKind, readonly Task[]>> = {
  linear: ['regression'],
  logistic: ['binary', 'multiclass'],
  mlp: ['binary', 'multiclass', 'regression'],
  autoencoder: ['anomaly'],
  gbdt: ['binary', 'multiclass', 'regression'],
};

/** Why `model` cannot do `task`, or undefined when it can. */
export function taskMismatch(model: ModelKind, task: Task): string | undefined {
  const tasks = MODEL_TASKS[model];
  return tasks.includes(task) ? undefined : `model ${model} does not do ${task}; it does ${tasks.join(', ')}`;
}
