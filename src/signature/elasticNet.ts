/**
 * Elastic-net linear regression as R's glmnet computes it (family "gaussian"), so that a site's
 * fit can be checked against glmnet itself. Pure numerics: arrays in, numbers out.
 *
 * Minimises, over the intercept β0 and the coefficients b of the standardised inputs x̃,
 *   1/(2n) Σ (ỹ_i − x̃_iᵀb)² + λ̃ [ (1 − α)/2 ‖b‖² + α ‖b‖₁ ],   ỹ = (y − ȳ)/σ_y, λ̃ = λ/σ_y
 * — glmnet standardises y too, so on y's own scale the ridge part acts as λ(1 − α)/σ_y (for the
 * lasso it makes no difference) — with glmnet's conventions (glmnet 4.1 R code and its Fortran
 * elnet, "covariance" updates):
 *  - x standardised with mean and SD of weight 1/n (standardize = TRUE), y centred and scaled to
 *    unit 1/n variance; coefficients and λ are reported on the original scale; intercept
 *    β0 = ȳ − Σ β_j x̄_j;
 *  - λ path: λ_max = max_j |⟨x̃_j, y − ȳ⟩| / (n · max(α, 0.001)); nlambda = 100 values,
 *    geometric down to λ_max · lambda.min.ratio (0.01 when n < p, else 0.0001); the first fit
 *    is the empty model;
 *  - coordinate descent: a full pass over every variable, then passes over the active set (in
 *    the order variables entered) until the largest weighted squared change of a coefficient,
 *    on the standardised scale, is below thresh (1e-7); repeated until a full pass changes less;
 *  - the path stops early (from the 5th λ on) when the explained deviance fraction grows by less
 *    than 1e-5 of itself (fdev) or exceeds 0.999 (devmax);
 *  - cross-validation as cv.glmnet with a given foldid: each fold refits its own path, its
 *    predictions are interpolated linearly in λ at the full path's λ values, the error is the
 *    mean squared error per fold (grouped; per observation when a fold has fewer than 3), its
 *    SE from the fold means; lambda.min is the largest λ reaching the minimum CV error,
 *    lambda.1se the largest λ whose error is within one SE of it.
 */

export class ElasticNetError extends Error {}

export interface ElasticNetOptions {
  /** Mixing: 1 = lasso, 0 = ridge. */
  alpha: number;
  nlambda?: number;
  /** Default as glmnet: 0.01 when n < p, else 1e-4. */
  lambdaMinRatio?: number;
  /** A given λ sequence (decreasing); no early stop then, as glmnet. */
  lambda?: readonly number[];
  thresh?: number;
  maxit?: number;
}

export interface ElasticNetPath {
  lambda: number[];
  /** Intercept per λ. */
  a0: number[];
  /** Coefficients on the original scale, beta[m][j]. */
  beta: number[][];
  /** Fraction of the null deviance explained, per λ. */
  devRatio: number[];
  nulldev: number;
  /** Coordinate-descent passes over the data. */
  passes: number;
}

const FDEV = 1e-5;
const DEVMAX = 0.999;
const MNLAM = 5;
const BIG = 9.9e35;

/**
 * Centred and scaled by sqrt(1/n) then to unit length: mean, the scale (the 1/n SD) and the values
 * (so that Σ values² = 1 and Σ values_i·values'_i is the 1/n-weighted correlation).
 */
function standardise(c: Float64Array): { mean: number; scale: number; values: Float64Array } {
  const n = c.length;
  const w = 1 / n;
  const v = Math.sqrt(w);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += w * c[i];
  const t = new Float64Array(n);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    t[i] = v * (c[i] - mean);
    ss += t[i] * t[i];
  }
  const scale = Math.sqrt(ss);
  if (scale > 0) for (let i = 0; i < n; i++) t[i] /= scale;
  return { mean, scale, values: t };
}

/** x as columns (each of length n). */
export function elasticNetPath(x: readonly Float64Array[], y: Float64Array, opts: ElasticNetOptions): ElasticNetPath {
  const n = y.length;
  const p = x.length;
  if (p === 0) throw new ElasticNetError('no input variable.');
  if (x.some((c) => c.length !== n)) throw new ElasticNetError('every input column needs one value per observation.');
  const alpha = opts.alpha;
  if (!(alpha >= 0 && alpha <= 1)) throw new ElasticNetError(`alpha must be between 0 and 1, not ${alpha}.`);
  const thr = opts.thresh ?? 1e-7;
  const maxit = opts.maxit ?? 100000;
  const user = opts.lambda !== undefined;
  const nlam = user ? opts.lambda!.length : (opts.nlambda ?? 100);
  const flmin = user ? 1 : (opts.lambdaMinRatio ?? (n < p ? 0.01 : 1e-4));
  if (!user && !(flmin > 0 && flmin < 1)) throw new ElasticNetError('lambda.min.ratio must be between 0 and 1.');

  // Standardise with weights 1/n, as glmnet's `standard` does.
  const sy = standardise(y);
  const ym = sy.mean;
  const ys = sy.scale;
  const ss = ys * ys;
  if (!(ys > 0)) throw new ElasticNetError('the target is constant.');
  const ys0 = sy.values;
  // A column constant in these observations (a fold or resample can make one) stays out with a
  // zero coefficient, as glmnet's ju flag does.
  const ju = x.map((c) => c.some((v) => v !== c[0]));
  const sx = x.map((c, j) => (ju[j] ? standardise(c) : { mean: 0, scale: 1, values: new Float64Array(n) }));
  const xm = sx.map((t) => t.mean);
  const xs = sx.map((t) => t.scale);
  const xt = sx.map((t) => t.values);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i] * b[i];
    return s;
  };

  const bta = alpha;
  const omb = 1 - alpha;
  const alf = user ? 1 : Math.pow(Math.max(1e-6, flmin), 1 / (nlam - 1));
  const g = new Float64Array(p);
  for (let j = 0; j < p; j++) g[j] = dot(ys0, xt[j]);
  const a = new Float64Array(p);
  const mm = new Int32Array(p).fill(-1); // position in the active set, -1 = never entered
  const ia: number[] = []; // active set in order of entry
  const c: Float64Array[] = []; // c[k][j] = <x_j, x_ia[k]>
  let rsq = 0;
  let alm = 0;
  let alm0 = 0;
  let passes = 0;
  let iz = false;
  const out: ElasticNetPath = { lambda: [], a0: [], beta: [], devRatio: [], nulldev: ss * n, passes: 0 };

  const update = (k: number, ab: number, dem: number): number => {
    if (!ju[k]) return 0;
    const gk = g[k];
    const ak = a[k];
    const u = gk + ak;
    const vk = Math.abs(u) - ab;
    a[k] = vk > 0 ? Math.sign(u) * vk / (1 + dem) : 0;
    if (a[k] === ak) return 0;
    if (mm[k] < 0) {
      mm[k] = ia.length;
      ia.push(k);
      const col = new Float64Array(p);
      for (let j = 0; j < p; j++) col[j] = j === k ? 1 : mm[j] >= 0 && mm[j] < mm[k] ? c[mm[j]][k] : dot(xt[j], xt[k]);
      c.push(col);
    }
    const del = a[k] - ak;
    rsq += del * (2 * gk - del);
    const ck = c[mm[k]];
    for (let j = 0; j < p; j++) g[j] -= ck[j] * del;
    return del * del;
  };

  const activeLoop = (ab: number, dem: number) => {
    for (;;) {
      passes++;
      let dlx = 0;
      for (let l = 0; l < ia.length; l++) dlx = Math.max(dlx, update(ia[l], ab, dem));
      if (dlx < thr) return;
      if (passes > maxit) throw new ElasticNetError(`no convergence within ${maxit} passes at λ ${alm * ys}.`);
    }
  };

  for (let m = 0; m < nlam; m++) {
    if (user) alm = opts.lambda![m] / ys;
    else if (m > 1) alm *= alf;
    else if (m === 0) alm = BIG;
    else {
      alm0 = 0;
      for (let j = 0; j < p; j++) if (ju[j]) alm0 = Math.max(alm0, Math.abs(g[j]));
      alm0 /= Math.max(bta, 1e-3);
      alm = alf * alm0;
    }
    const dem = alm * omb;
    const ab = alm * bta;
    const rsq0 = rsq;
    // As glmnet: once the active set has been iterated, each new λ starts there.
    if (iz) activeLoop(ab, dem);
    for (;;) {
      passes++;
      let dlx = 0;
      for (let k = 0; k < p; k++) dlx = Math.max(dlx, update(k, ab, dem));
      if (dlx < thr) break;
      if (passes > maxit) throw new ElasticNetError(`no convergence within ${maxit} passes at λ ${alm * ys}.`);
      iz = true;
      activeLoop(ab, dem);
    }
    const beta = Array.from(a, (aj, j) => (aj === 0 ? 0 : (ys * aj) / xs[j]));
    let a0 = ym;
    for (let j = 0; j < p; j++) a0 -= beta[j] * xm[j];
    out.lambda.push(ys * alm);
    out.a0.push(a0);
    out.beta.push(beta);
    out.devRatio.push(rsq);
    if (m + 1 < Math.min(MNLAM, nlam) || user) continue;
    if (rsq - rsq0 < FDEV * rsq) break;
    if (rsq > DEVMAX) break;
  }
  // glmnet reports the first λ (the empty model, computed at "infinity") as the geometric extrapolation.
  if (!user && out.lambda.length > 2) out.lambda[0] = Math.exp(2 * Math.log(out.lambda[1]) - Math.log(out.lambda[2]));
  out.passes = passes;
  return out;
}

/** Coefficients at λ values s, interpolated linearly in λ between path points (glmnet's lambda.interp); clamped outside the path. */
export function coefficientsAt(path: ElasticNetPath, s: readonly number[]): Array<{ a0: number; beta: number[] }> {
  const lam = path.lambda;
  const k = lam.length;
  return s.map((sv) => {
    if (k === 1) return { a0: path.a0[0], beta: [...path.beta[0]] };
    const span = lam[0] - lam[k - 1];
    const pos = lam.map((l) => (lam[0] - l) / span);
    let f = (lam[0] - sv) / span;
    f = Math.min(Math.max(f, pos[0]), pos[k - 1]);
    // approx(pos, 1..k, f): pos is increasing.
    let r = pos.findIndex((q) => q >= f);
    if (r < 0) r = k - 1;
    let coord: number;
    if (pos[r] === f) coord = r;
    else coord = r - 1 + (f - pos[r - 1]) / (pos[r] - pos[r - 1]);
    const left = Math.floor(coord);
    const right = Math.ceil(coord);
    const frac = left === right || Math.abs(pos[left] - pos[right]) < Number.EPSILON ? 1 : (f - pos[right]) / (pos[left] - pos[right]);
    return {
      a0: path.a0[left] * frac + path.a0[right] * (1 - frac),
      beta: path.beta[left].map((b, j) => b * frac + path.beta[right][j] * (1 - frac)),
    };
  });
}

export interface CrossValidation {
  path: ElasticNetPath;
  /** Mean CV error (MSE) per λ of the full path, and its standard error. */
  cvm: number[];
  cvsd: number[];
  lambdaMin: number;
  lambda1se: number;
  indexMin: number;
  index1se: number;
  /** Out-of-fold predictions at every λ, [m][i]. */
  predictions: number[][];
}

/** cv.glmnet with type.measure "mse" and a given foldid (values 1..K, K ≥ 3). */
export function crossValidate(x: readonly Float64Array[], y: Float64Array, foldid: readonly number[], opts: ElasticNetOptions): CrossValidation {
  const n = y.length;
  const K = Math.max(...foldid);
  if (K < 3) throw new ElasticNetError('cross-validation needs at least 3 folds.');
  const path = elasticNetPath(x, y, opts);
  const L = path.lambda.length;
  const pred = Array.from({ length: L }, () => new Array<number>(n).fill(NaN));
  for (let k = 1; k <= K; k++) {
    const train = foldid.flatMap((f, i) => (f === k ? [] : [i]));
    const test = foldid.flatMap((f, i) => (f === k ? [i] : []));
    if (test.length === 0) continue;
    const fit = elasticNetPath(
      x.map((col) => Float64Array.from(train, (i) => col[i])),
      Float64Array.from(train, (i) => y[i]),
      { ...opts, lambda: undefined },
    );
    const coefs = coefficientsAt(fit, path.lambda);
    coefs.forEach((cf, m) => {
      for (const i of test) {
        let s = cf.a0;
        for (let j = 0; j < x.length; j++) s += cf.beta[j] * x[j][i];
        pred[m][i] = s;
      }
    });
  }
  const grouped = n / K >= 3;
  const cvm: number[] = [];
  const cvsd: number[] = [];
  for (let m = 0; m < L; m++) {
    const raw = pred[m].map((p, i) => (y[i] - p) ** 2);
    let units: Array<{ e: number; w: number }>;
    if (grouped) {
      units = [];
      for (let k = 1; k <= K; k++) {
        const idx = foldid.flatMap((f, i) => (f === k ? [i] : []));
        if (idx.length > 0) units.push({ e: idx.reduce((s, i) => s + raw[i], 0) / idx.length, w: idx.length });
      }
    } else units = raw.map((e) => ({ e, w: 1 }));
    const W = units.reduce((s, u) => s + u.w, 0);
    const mean = units.reduce((s, u) => s + u.w * u.e, 0) / W;
    const v = units.reduce((s, u) => s + u.w * (u.e - mean) ** 2, 0) / W;
    cvm.push(mean);
    cvsd.push(Math.sqrt(v / (units.length - 1)));
  }
  const cvmin = Math.min(...cvm);
  let indexMin = cvm.findIndex((e) => e <= cvmin);
  // lambda.min: the largest λ at the minimum; path λ decrease, so the first index.
  const semin = cvm[indexMin] + cvsd[indexMin];
  const index1se = cvm.findIndex((e) => e <= semin);
  indexMin = Math.max(0, indexMin);
  return { path, cvm, cvsd, lambdaMin: path.lambda[indexMin], lambda1se: path.lambda[index1se], indexMin, index1se, predictions: pred };
}

/** A deterministic generator (mulberry32) for fold assignment and bootstrap. */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fold of each observation (1..K), whole groups (patients) kept in one fold: groups shuffled with
 * the seed, then dealt 1, 2, …, K, 1, 2, … as cv.glmnet deals observations.
 */
export function assignFolds(groups: readonly string[], K: number, seed: number): number[] {
  const distinct = [...new Set(groups)];
  const rnd = seededRandom(seed);
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [distinct[i], distinct[j]] = [distinct[j], distinct[i]];
  }
  const fold = new Map(distinct.map((g, i) => [g, (i % K) + 1]));
  return groups.map((g) => fold.get(g)!);
}
