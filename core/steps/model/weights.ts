/**
 * Class weights for imbalanced classification, turned into per-row sample weights (what the model libraries take).
 * Pure.
 */

/** `balanced`, as scikit-learn defines it: rows / (classes x rows of the class); or a weight per class name. */
export type ClassWeightSetting = 'balanced' | Record<string, number>;

/** A class named in `class_weight` that the label does not have. */
export class ClassWeightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassWeightError';
  }
}

/** The weight of each class, index i being class i. Classes missing from an explicit map weigh 1. */
export function classWeights(setting: ClassWeightSetting, y: Float64Array, classes: readonly string[]): Float64Array {
  const weights = new Float64Array(classes.length).fill(1);
  if (setting === 'balanced') {
    const counts = new Float64Array(classes.length);
    for (const c of y) counts[c]!++;
    for (let c = 0; c < classes.length; c++) weights[c] = counts[c]! > 0 ? y.length / (classes.length * counts[c]!) : 0;
    return weights;
  }
  const unknown = Object.keys(setting).filter((name) => !classes.includes(name));
  if (unknown.length)
    throw new ClassWeightError(
      `class_weight names ${unknown.map((u) => `\`${u}\``).join(', ')}, not a class of the label (its classes: ${classes.map((c) => `\`${c}\``).join(', ')})`,
    );
  classes.forEach((name, i) => {
    if (name in setting) weights[i] = setting[name]!;
  });
  return weights;
}

/** Per-row weights: each row's class weight, times its own weight when rows already carry one. */
export function rowWeights(classWeight: Float64Array, y: Float64Array, base?: Float64Array): Float64Array {
  return Float64Array.from(y, (c, r) => classWeight[c]! * (base ? base[r]! : 1));
}
