/**
 * A Gaussian process on the unit cube: Matern 5/2 kernel with one lengthscale per input
 * (ARD), amplitude profiled out of the marginal likelihood, a small relative noise term;
 * lengthscales and noise fitted by marginal likelihood over a grid, then per-dimension
 * refinement. Targets are expected standardized (mean 0, variance 1).
 */
export interface GaussianProcess {
  /** Predictive mean and standard deviation of the latent function at x. */
  predict(x: Float64Array): { mean: number; std: number };
  /** Adds observations at the fitted hyperparameters (no refit), as fantasies for trials still running. */
  condition(xs: readonly Float64Array[], ys: readonly number[]): GaussianProcess;
}

const SQRT5 = Math.sqrt(5);
const ISO_LENGTHSCALES = [0.05, 0.1, 0.2, 0.4, 0.8, 1.6];
const NOISES = [1e-6, 1e-3, 1e-1];
/** Hyperparameters are fitted on at most this many points, so fitting stays cheap at any n. */
const FIT_POINTS = 48;

function matern52(a: Float64Array, b: Float64Array, inv: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = (a[k]! - b[k]!) * inv[k]!;
    s += d * d;
  }
  const r = SQRT5 * Math.sqrt(s);
  return (1 + r + (r * r) / 3) * Math.exp(-r);
}

/** Lower Cholesky factor of a row-major n×n matrix, or null when it is not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      const ri = i * n;
      const rj = j * n;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j]!;
      }
    }
  }
  return l;
}

/** Solves L z = b in place (L lower triangular, row-major). */
function forward(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    const ri = i * n;
    for (let k = 0; k < i; k++) s -= l[ri + k]! * b[k]!;
    b[i] = s / l[ri + i]!;
  }
  return b;
}

/** Solves Lᵀ z = b in place. */
function backward(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  return b;
}

interface Factor {
  l: Float64Array;
  alpha: Float64Array;
  /** Profiled amplitude: yᵀ R⁻¹ y / n. */
  amplitude: number;
  logLik: number;
}

/** Factors R = K + (noise + jitter) I for a kernel matrix given by its scaled squared distances, adding jitter ×10 from 1e-10 until Cholesky succeeds. */
function factor(r2: Float64Array, n: number, ys: ArrayLike<number>, noise: number): Factor {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const r = SQRT5 * Math.sqrt(r2[i * n + j]!);
      const v = (1 + r + (r * r) / 3) * Math.exp(-r);
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  for (let jitter = 1e-10; ; jitter *= 10) {
    for (let i = 0; i < n; i++) k[i * n + i] = 1 + noise + jitter;
    const l = cholesky(k, n);
    if (l) {
      const alpha = backward(l, n, forward(l, n, Float64Array.from(ys)));
      let quad = 0;
      for (let i = 0; i < n; i++) quad += ys[i]! * alpha[i]!;
      const amplitude = Math.max(quad / n, 1e-12);
      let logDet = 0;
      for (let i = 0; i < n; i++) logDet += Math.log(l[i * n + i]!);
      return { l, alpha, amplitude, logLik: -0.5 * n * Math.log(amplitude) - logDet };
    }
    if (jitter > 1) throw new Error('Gaussian process: the kernel matrix is not positive definite even with jitter');
  }
}

/** Squared distances scaled by inverse lengthscales, between every pair of points (lower triangle). */
function scaledDistances(xs: readonly Float64Array[], inv: Float64Array): Float64Array {
  const n = xs.length;
  const r2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = 0; k < inv.length; k++) {
        const d = (xs[i]![k]! - xs[j]![k]!) * inv[k]!;
        s += d * d;
      }
      r2[i * n + j] = s;
    }
  }
  return r2;
}

function model(xs: Float64Array[], ys: number[], inv: Float64Array, noise: number): GaussianProcess {
  const f = factor(scaledDistances(xs, inv), xs.length, ys, noise);
  const n = xs.length;
  const kx = new Float64Array(n);
  return {
    predict(x) {
      let mean = 0;
      for (let i = 0; i < n; i++) {
        kx[i] = matern52(x, xs[i]!, inv);
        mean += kx[i]! * f.alpha[i]!;
      }
      forward(f.l, n, kx);
      let explained = 0;
      for (let i = 0; i < n; i++) explained += kx[i]! * kx[i]!;
      return { mean, std: Math.sqrt(f.amplitude * Math.max(1 - explained, 1e-12)) };
    },
    condition(more, moreYs) {
      return model([...xs, ...more], [...ys, ...moreYs], inv, noise);
    },
  };
}

/**
 * Fits a GP to standardized targets. Past FIT_POINTS points, a seeded random subset of
 * them fits the hyperparameters; the model then conditions on all of them.
 */
export function fitGaussianProcess(xs: Float64Array[], ys: number[], rand: () => number): GaussianProcess {
  const d = xs[0]?.length ?? 0;
  let fitIdx = xs.map((_, i) => i);
  if (fitIdx.length > FIT_POINTS) {
    for (let i = fitIdx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [fitIdx[i], fitIdx[j]] = [fitIdx[j]!, fitIdx[i]!];
    }
    fitIdx = fitIdx.slice(0, FIT_POINTS);
  }
  const fx = fitIdx.map((i) => xs[i]!);
  const fy = fitIdx.map((i) => ys[i]!);
  const n = fx.length;
  // Unit-lengthscale squared distances, per dimension and summed: a lengthscale change rescales them in O(n²).
  const perDim = Array.from({ length: d }, (_, k) => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i * n + j] = (fx[i]![k]! - fx[j]![k]!) ** 2;
    return m;
  });
  const total = new Float64Array(n * n);
  for (const m of perDim) for (let i = 0; i < total.length; i++) total[i]! += m[i]!;

  let best = { inv: new Float64Array(d), r2: total, noise: NOISES[0]!, logLik: -Infinity };
  for (const ls of ISO_LENGTHSCALES) {
    const r2 = total.map((v) => v / (ls * ls));
    for (const noise of NOISES) {
      const logLik = factor(r2, n, fy, noise).logLik;
      if (logLik > best.logLik) best = { inv: new Float64Array(d).fill(1 / ls), r2, noise, logLik };
    }
  }
  // Automatic relevance: stretch or shrink one dimension's lengthscale at a time while the likelihood improves.
  for (let k = 0; k < d; k++) {
    for (const stretch of [0.5, 3]) {
      const inv = Float64Array.from(best.inv);
      inv[k] = Math.min(100, Math.max(0.05, inv[k]! / stretch));
      const delta = inv[k]! ** 2 - best.inv[k]! ** 2;
      const r2 = best.r2.map((v, i) => v + delta * perDim[k]![i]!);
      const logLik = factor(r2, n, fy, best.noise).logLik;
      if (logLik > best.logLik + 1e-9) best = { inv, r2, noise: best.noise, logLik };
    }
  }
  return model(xs, ys, best.inv, best.noise);
}
