/**
 * Ellipsoids used by the morphology family: the surface area of an ellipsoid by the IBSI
 * Legendre series (RDD2), and the minimum volume enclosing ellipsoid of a point set by
 * Khachiyan's barycentric coordinate ascent (SWZ1, tolerance 0.001 as IBSI suggests).
 */
import { symmetricEigen3, Mat3 } from '../math/eigen';

/**
 * Surface area of the ellipsoid with semi-axes a ≥ b ≥ c:
 * 4πab Σ_ν (αβ)^ν / (1 − 4ν²) P_ν((α² + β²)/(2αβ)), α² = 1 − b²/a², β² = 1 − c²/a², ν = 0..20.
 * (αβ)^ν P_ν(…) is evaluated by its own recurrence, which stays finite when α or β is 0.
 * This is IBSI's definition of the AEE area: exact for a sphere, but for an elongated
 * ellipsoid it departs from the true area (6 × 4 × 2 mm: 211.3 instead of 195.5 mm²); the
 * IBSI reference values of RDD2 follow the series, so the series it is.
 */
export function ellipsoidSurfaceArea(semiAxes: [number, number, number], terms = 20): number {
  const [a, b, c] = [...semiAxes].sort((x, y) => y - x);
  if (a <= 0) return 0;
  const alpha2 = Math.max(0, 1 - (b * b) / (a * a));
  const beta2 = Math.max(0, 1 - (c * c) / (a * a));
  const half = (alpha2 + beta2) / 2; // (αβ)·x with x = (α²+β²)/(2αβ)
  const ab2 = alpha2 * beta2; // (αβ)²
  let qPrev = 1; // ν = 0
  let q = half; // ν = 1
  let sum = qPrev / 1 + q / (1 - 4);
  for (let nu = 1; nu < terms; nu++) {
    const next = ((2 * nu + 1) * half * q - nu * ab2 * qPrev) / (nu + 1);
    qPrev = q;
    q = next;
    const k = nu + 1;
    sum += q / (1 - 4 * k * k);
  }
  return 4 * Math.PI * a * b * sum;
}

function invert4(m: Float64Array): Float64Array | null {
  // Gauss-Jordan with partial pivoting on a 4×4 matrix (row major).
  const a = Float64Array.from(m);
  const inv = new Float64Array(16);
  for (let i = 0; i < 4; i++) inv[5 * i] = 1;
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[4 * r + col]) > Math.abs(a[4 * pivot + col])) pivot = r;
    if (Math.abs(a[4 * pivot + col]) < 1e-300) return null;
    if (pivot !== col) {
      for (let k = 0; k < 4; k++) {
        [a[4 * col + k], a[4 * pivot + k]] = [a[4 * pivot + k], a[4 * col + k]];
        [inv[4 * col + k], inv[4 * pivot + k]] = [inv[4 * pivot + k], inv[4 * col + k]];
      }
    }
    const p = a[4 * col + col];
    for (let k = 0; k < 4; k++) {
      a[4 * col + k] /= p;
      inv[4 * col + k] /= p;
    }
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = a[4 * r + col];
      if (f === 0) continue;
      for (let k = 0; k < 4; k++) {
        a[4 * r + k] -= f * a[4 * col + k];
        inv[4 * r + k] -= f * inv[4 * col + k];
      }
    }
  }
  return inv;
}

/** Semi-axes (descending) of the minimum volume enclosing ellipsoid of 3-D points (x, y, z per point). */
export function minimumVolumeEnclosingEllipsoid(points: Float64Array, tolerance = 1e-3, maxIterations = 100000): [number, number, number] | null {
  const m = points.length / 3;
  if (m < 4) return null;
  // Centre the points for conditioning.
  const mean = [0, 0, 0];
  for (let i = 0; i < m; i++) for (let d = 0; d < 3; d++) mean[d] += points[3 * i + d] / m;
  const q = new Float64Array(4 * m);
  for (let i = 0; i < m; i++) {
    for (let d = 0; d < 3; d++) q[4 * i + d] = points[3 * i + d] - mean[d];
    q[4 * i + 3] = 1;
  }
  const u = new Float64Array(m).fill(1 / m);
  const X = new Float64Array(16);
  for (let iter = 0; iter < maxIterations; iter++) {
    X.fill(0);
    for (let i = 0; i < m; i++) {
      const w = u[i];
      if (w === 0) continue;
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) X[4 * r + c] += w * q[4 * i + r] * q[4 * i + c];
    }
    const inv = invert4(X);
    if (!inv) return null;
    let jBest = 0;
    let mBest = -Infinity;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let r = 0; r < 4; r++) {
        let t = 0;
        for (let c = 0; c < 4; c++) t += inv[4 * r + c] * q[4 * i + c];
        s += q[4 * i + r] * t;
      }
      if (s > mBest) {
        mBest = s;
        jBest = i;
      }
    }
    const step = (mBest - 4) / (4 * (mBest - 1));
    if (!(step > 0)) break;
    let change = 0;
    for (let i = 0; i < m; i++) {
      const nu = (1 - step) * u[i] + (i === jBest ? step : 0);
      change += (nu - u[i]) ** 2;
      u[i] = nu;
    }
    if (Math.sqrt(change) < tolerance) break;
  }
  // Centre c = Σ u p; shape A = (1/d) (Σ u p pᵀ − c cᵀ)⁻¹; semi-axes = 1/√eig(A) = √(d·eig(S)).
  const c = [0, 0, 0];
  for (let i = 0; i < m; i++) for (let d = 0; d < 3; d++) c[d] += u[i] * q[4 * i + d];
  const S: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) S[r][k] += u[i] * q[4 * i + r] * q[4 * i + k];
  }
  for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) S[r][k] -= c[r] * c[k];
  const { values } = symmetricEigen3(S);
  const axes = values.map((v) => Math.sqrt(3 * Math.max(0, v))).sort((x, y) => y - x);
  return [axes[0], axes[1], axes[2]];
}
