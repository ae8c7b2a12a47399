export async function inferExpectations(opts: { cwd: string; input: string; output?: string }): Promise<{ text: string }> {
  void opts;
  throw new Error('not built yet');
}
