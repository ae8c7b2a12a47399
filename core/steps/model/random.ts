/**
 * A small seeded random number generator (SplitMix32 mixing over a 32-bit counter), so that training, sampling and
 * search give the same numbers for the same seed on every machine. Never `Math.random`.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    // Mix the seed once so that nearby seeds start far apart.
    this.state = mix32(Math.trunc(seed) >>> 0);
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix32(this.state) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal draw (Box-Muller; the second value is dropped so the sequence depends on calls alone). */
  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array | Float64Array): typeof items {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** `0..n-1` in a random order. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p) as Int32Array;
  }

  /** A new generator whose stream is independent of this one's (for a subtask: a layer, a tree, a trial). */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
