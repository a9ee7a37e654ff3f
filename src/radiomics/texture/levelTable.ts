/**
 * The matrix shape shared by GLRLM, GLSZM, GLDZM and NGLDM: counts of (grey level i, value j),
 * j being a run length, zone size, zone distance or dependence count, plus the voxel count N_v
 * the matrix stands for. Columns are compressed: column c holds value colValues[c] (ascending),
 * so a GLSZM with zones of 1 and 90 000 voxels needs two columns, not 90 000.
 * Their features share one set of formulas (IBSI 3.7–3.9, 3.11), computed and documented here
 * in one place.
 */
import { DocumentedDescriptor, FeatureFamily } from '../feature';

export interface LevelTable {
  nLevels: number;
  /** Value j of each column, ascending, all ≥ 1. */
  colValues: Float64Array;
  /** Row-major nLevels × colValues.length counts; row i-1 for grey level i. */
  counts: Float64Array;
  /** N_v: voxels of the region(s) the matrix was built from (summed when merged). */
  nVoxels: number;
}

/** A table whose columns are the values 1 .. maxValue. */
export function denseTable(nLevels: number, maxValue: number): LevelTable {
  const colValues = new Float64Array(maxValue);
  for (let c = 0; c < maxValue; c++) colValues[c] = c + 1;
  return { nLevels, colValues, counts: new Float64Array(nLevels * maxValue), nVoxels: 0 };
}

/**
 * A table counting the entries `select` (indices into levelOf/valueOf) as (levelOf[k], valueOf[k]);
 * columns are the distinct values present.
 */
export function tableFromEntries(nLevels: number, levelOf: Int32Array, valueOf: Int32Array, select: Int32Array, nVoxels: number): LevelTable {
  let max = 0;
  for (let s = 0; s < select.length; s++) if (valueOf[select[s]] > max) max = valueOf[select[s]];
  // Values are zone sizes or distances (≥ 1), at most the region's voxel count: a column per
  // value present, found through a dense value → column map (no sort, no search).
  const column = new Int32Array(max + 1);
  for (let s = 0; s < select.length; s++) column[valueOf[select[s]]] = 1;
  let nCols = 0;
  for (let v = 0; v <= max; v++) if (column[v]) column[v] = ++nCols;
  const colValues = new Float64Array(nCols);
  for (let v = 0; v <= max; v++) if (column[v]) colValues[column[v] - 1] = v;
  const counts = new Float64Array(nLevels * nCols);
  for (let s = 0; s < select.length; s++) {
    const k = select[s];
    counts[(levelOf[k] - 1) * nCols + column[valueOf[k]] - 1] += 1;
  }
  return { nLevels, colValues, counts, nVoxels };
}

function columnOf(colValues: Float64Array, value: number): number {
  let lo = 0;
  let hi = colValues.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (colValues[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sum of tables (IBSI merging): counts added per (i, j), N_v summed. */
export function mergeTables(tables: readonly LevelTable[]): LevelTable {
  if (tables.length === 0) throw new Error('mergeTables: nothing to merge');
  const nLevels = tables[0].nLevels;
  const all = new Set<number>();
  for (const t of tables) for (const v of t.colValues) all.add(v);
  const colValues = Float64Array.from([...all].sort((a, b) => a - b));
  const nCols = colValues.length;
  const counts = new Float64Array(nLevels * nCols);
  let nVoxels = 0;
  for (const t of tables) {
    nVoxels += t.nVoxels;
    const map = new Int32Array(t.colValues.length);
    for (let c = 0; c < map.length; c++) map[c] = columnOf(colValues, t.colValues[c]);
    const tc = t.colValues.length;
    for (let i = 0; i < nLevels; i++) {
      for (let c = 0; c < tc; c++) {
        const n = t.counts[i * tc + c];
        if (n !== 0) counts[i * nCols + map[c]] += n;
      }
    }
  }
  return { nLevels, colValues, counts, nVoxels };
}

export function tableTotal(t: LevelTable): number {
  let s = 0;
  for (let k = 0; k < t.counts.length; k++) s += t.counts[k];
  return s;
}

/** The statistics every run/zone/dependence family reports, by their generic meaning. */
export interface TableStatistics {
  /** Σ_j s.j / j² / N_s — short runs / small zones / small distances / low dependence emphasis. */
  lowValueEmphasis: number;
  highValueEmphasis: number;
  lowGreyLevelEmphasis: number;
  highGreyLevelEmphasis: number;
  lowValueLowGreyLevelEmphasis: number;
  lowValueHighGreyLevelEmphasis: number;
  highValueLowGreyLevelEmphasis: number;
  highValueHighGreyLevelEmphasis: number;
  greyLevelNonUniformity: number;
  greyLevelNonUniformityNormalised: number;
  valueNonUniformity: number;
  valueNonUniformityNormalised: number;
  /** N_s / N_v. */
  percentage: number;
  greyLevelVariance: number;
  valueVariance: number;
  entropy: number;
  /** Σ p_ij² (NGLDM dependence count energy). */
  energy: number;
}

/** The statistics of one table; null when it holds no count. */
export function tableStatistics(t: LevelTable): TableStatistics | null {
  const ns = tableTotal(t);
  if (ns === 0) return null;
  const nCols = t.colValues.length;
  const rowSum = new Float64Array(t.nLevels);
  const colSum = new Float64Array(nCols);
  let lvlg = 0, lvhg = 0, hvlg = 0, hvhg = 0, entropy = 0, energy = 0;
  for (let r = 0; r < t.nLevels; r++) {
    const i = r + 1;
    const i2 = i * i;
    for (let c = 0; c < nCols; c++) {
      const n = t.counts[r * nCols + c];
      if (n === 0) continue;
      const j = t.colValues[c];
      const j2 = j * j;
      rowSum[r] += n;
      colSum[c] += n;
      lvlg += n / (i2 * j2);
      lvhg += (n * i2) / j2;
      hvlg += (n * j2) / i2;
      hvhg += n * i2 * j2;
      const p = n / ns;
      entropy -= p * Math.log2(p);
      energy += p * p;
    }
  }
  let lowGrey = 0, highGrey = 0, glnu = 0, muI = 0;
  for (let r = 0; r < t.nLevels; r++) {
    const i = r + 1;
    const n = rowSum[r];
    if (n === 0) continue;
    lowGrey += n / (i * i);
    highGrey += n * i * i;
    glnu += n * n;
    muI += (i * n) / ns;
  }
  let lowValue = 0, highValue = 0, vnu = 0, muJ = 0;
  for (let c = 0; c < nCols; c++) {
    const j = t.colValues[c];
    const n = colSum[c];
    if (n === 0) continue;
    lowValue += n / (j * j);
    highValue += n * j * j;
    vnu += n * n;
    muJ += (j * n) / ns;
  }
  let varI = 0;
  for (let r = 0; r < t.nLevels; r++) varI += (r + 1 - muI) * (r + 1 - muI) * (rowSum[r] / ns);
  let varJ = 0;
  for (let c = 0; c < nCols; c++) varJ += (t.colValues[c] - muJ) * (t.colValues[c] - muJ) * (colSum[c] / ns);
  return {
    lowValueEmphasis: lowValue / ns,
    highValueEmphasis: highValue / ns,
    lowGreyLevelEmphasis: lowGrey / ns,
    highGreyLevelEmphasis: highGrey / ns,
    lowValueLowGreyLevelEmphasis: lvlg / ns,
    lowValueHighGreyLevelEmphasis: lvhg / ns,
    highValueLowGreyLevelEmphasis: hvlg / ns,
    highValueHighGreyLevelEmphasis: hvhg / ns,
    greyLevelNonUniformity: glnu / ns,
    greyLevelNonUniformityNormalised: glnu / (ns * ns),
    valueNonUniformity: vnu / ns,
    valueNonUniformityNormalised: vnu / (ns * ns),
    percentage: ns / t.nVoxels,
    greyLevelVariance: varI,
    valueVariance: varJ,
    entropy,
    energy,
  };
}

/** The 16 statistics in the order every family lists them (IBSI order for GLRLM/GLSZM/GLDZM). */
export function standardOrder(s: TableStatistics): number[] {
  return [
    s.lowValueEmphasis,
    s.highValueEmphasis,
    s.lowGreyLevelEmphasis,
    s.highGreyLevelEmphasis,
    s.lowValueLowGreyLevelEmphasis,
    s.lowValueHighGreyLevelEmphasis,
    s.highValueLowGreyLevelEmphasis,
    s.highValueHighGreyLevelEmphasis,
    s.greyLevelNonUniformity,
    s.greyLevelNonUniformityNormalised,
    s.valueNonUniformity,
    s.valueNonUniformityNormalised,
    s.percentage,
    s.greyLevelVariance,
    s.valueVariance,
    s.entropy,
  ];
}

/** Feature values of a table in standardOrder (then the energy, for `count` 17); all NaN for an empty table. */
export function tableFeatures(t: LevelTable, count: 16 | 17): Float64Array {
  const s = tableStatistics(t);
  if (!s) return new Float64Array(count).fill(NaN);
  const values = standardOrder(s);
  if (count === 17) values.push(s.energy);
  return Float64Array.from(values);
}

/** How a family names what its table counts, for the documentation lines. */
export interface TableTerms {
  /** What is counted, plural: "runs", "zones", "voxels". */
  items: string;
  /** What the column j is: "run length", "zone size". */
  value: string;
}

/** Documentation lines in standardOrder (then the energy). n_ij: items of grey level i and value j. */
function tableDocs({ items, value }: TableTerms): string[] {
  const n = `n_ij = ${items} of grey level i and ${value} j, N_s = all ${items}`;
  return [
    `Σ n_ij / j² / N_s (${n}): weight of small ${value}s.`,
    `Σ n_ij j² / N_s: weight of large ${value}s.`,
    `Σ n_ij / i² / N_s: weight of low grey levels.`,
    `Σ n_ij i² / N_s: weight of high grey levels.`,
    `Σ n_ij / (i² j²) / N_s: small ${value}s of low grey level.`,
    `Σ n_ij i² / j² / N_s: small ${value}s of high grey level.`,
    `Σ n_ij j² / i² / N_s: large ${value}s of low grey level.`,
    `Σ n_ij i² j² / N_s: large ${value}s of high grey level.`,
    `Σ_i (Σ_j n_ij)² / N_s: how unevenly the ${items} spread over grey levels.`,
    `Σ_i (Σ_j n_ij)² / N_s²: grey level non-uniformity normalised by N_s.`,
    `Σ_j (Σ_i n_ij)² / N_s: how unevenly the ${items} spread over ${value}s.`,
    `Σ_j (Σ_i n_ij)² / N_s²: ${value} non-uniformity normalised by N_s.`,
    `N_s / N_v: ${items} per voxel of the ROI.`,
    `Σ (i − µ_i)² p_ij with p_ij = n_ij / N_s: variance of the grey levels of the ${items}.`,
    `Σ (j − µ_j)² p_ij: variance of the ${value}s.`,
    `−Σ p_ij log₂ p_ij: entropy of the (grey level, ${value}) distribution, bits.`,
    `Σ p_ij²: energy of the (grey level, ${value}) distribution.`,
  ];
}

/**
 * The descriptors of a table family, documented by TableTerms: `names` are [tag, code, IBSI
 * name] in standardOrder (16), or with the energy last (17).
 */
export function tableDescriptors(family: FeatureFamily, terms: TableTerms, names: ReadonlyArray<readonly [string, string, string]>): DocumentedDescriptor[] {
  if (names.length !== 16 && names.length !== 17) throw new Error(`tableDescriptors: ${family} lists ${names.length} features, not 16 or 17`);
  const docs = tableDocs(terms);
  return names.map(([tag, code, name], k) => ({ family, tag, code, name, doc: docs[k] }));
}
