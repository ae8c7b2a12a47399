// Loads the ONNX file the root demo's `package` stage writes and predicts with it, as another team's service would.
// From the repository root: `./bin/gitml repro`, then `node examples/library/predict.mjs` (or give another .onnx path).
import { fileURLToPath } from 'node:url';
import { loadModel } from 'gitml';

const file = process.argv[2] ?? fileURLToPath(new URL('../../models/churn.onnx', import.meta.url));
const model = await loadModel(file);
try {
  const { name, model_version, task, classes, inputs } = model.metadata;
  console.log(`${name} ${model_version}: ${task} over ${classes.join(', ')}; inputs ${inputs.map((i) => `${i.name} (${i.datatype})`).join(', ')}`);

  // Records: one answer per record, raw values as the table holds them (null for a missing one).
  const customers = [
    { tenure_months: 2, monthly_spend: 95.5, support_calls: 6, usage_hours: 3.5, discount_rate: 0 },
    { tenure_months: 58, monthly_spend: 42, support_calls: 0, usage_hours: 31, discount_rate: 0.15 },
    { tenure_months: 14, monthly_spend: null, support_calls: 2, usage_hours: 12, discount_rate: 0.05 },
  ];
  for (const [i, answer] of (await model.predict(customers)).entries()) {
    console.log(`customer ${i + 1}: churned=${answer.label} (p=${answer.probabilities['1'].toFixed(3)})`);
  }

  // Columns, typed: the fast path for batches.
  const batch = await model.predictBatch({
    tenure_months: Float64Array.of(2, 58),
    monthly_spend: Float64Array.of(95.5, 42),
    support_calls: Float64Array.of(6, 0),
    usage_hours: Float64Array.of(3.5, 31),
    discount_rate: Float64Array.of(0, 0.15),
  });
  console.log(`batch of ${batch.rows}: labels ${batch.label.join(', ')}`);
} finally {
  await model.close();
}
