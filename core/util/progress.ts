/** Progress of long work (hashing a tree, checkout, gc). The CLI draws it; the core only reports. */
export interface Progress {
  start(label: string, total: number): void;
  tick(n: number): void;
  done(): void;
}
