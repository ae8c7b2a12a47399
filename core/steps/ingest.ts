import type { StepContext } from './registry.js';

export async function run(withMap: Record<string, unknown>, ctx: StepContext): Promise<void> {
  void withMap;
  void ctx;
  throw new Error('not built yet');
}
