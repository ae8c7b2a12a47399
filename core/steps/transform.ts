export async function applyTransformFile(opts: {
  cwd: string;
  input: string;
  transform: string;
  output: string;
}): Promise<{ rows: number; columns: number }> {
  void opts;
  throw new Error('not built yet');
}
