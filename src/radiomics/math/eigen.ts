/**
 * Eigen-decomposition of a real symmetric 3×3 matrix by cyclic Jacobi rotations: a few sweeps
 * reach machine precision, and unlike the closed-form cubic it stays accurate when two
 * eigenvalues are (nearly) equal, which happens for sphere-like regions.
 */
export type Mat3 = [[number, number, number], [number, number, number], [number, number, number]];

export interface Eigen3 {
  /** Ascending. */
  values: [number, number, number];
  /** vectors[k] is the unit eigenvector of values[k]. */
  vectors: [[number, number, number], [number, number, number], [number, number, number]];
}

export function symmetricEigen3(m: Mat3): Eigen3 {
  const a = m.map((row) => [...row]);
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
    const scale = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2];
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 3; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < 3; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 3; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[i][i] - a[j][j]);
  const values = order.map((i) => a[i][i]) as [number, number, number];
  const vectors = order.map((i) => [v[0][i], v[1][i], v[2][i]]) as Eigen3['vectors'];
  return { values, vectors };
}
