/**
 * One IBSI configuration as a test suite: the features are computed once, then every
 * (feature, aggregation) row of the reference is its own test case, and the suite prints how
 * many matched. A row without a consensus value is computed and reported, not judged.
 */
import { FeatureValue } from '../../../src/radiomics/feature';
import { ExtractionResult } from '../../../src/radiomics/extract';
import { ReferenceRow, findFeature, judge, rowLabel } from './reference';

export interface SuiteTally {
  compared: number;
  matched: number;
  /** Rows without a consensus value, with the value computed. */
  reported: string[];
  mismatches: string[];
}

export function defineReferenceCases(title: string, rows: ReferenceRow[], compute: () => Promise<ExtractionResult> | ExtractionResult): void {
  let result: ExtractionResult | undefined;
  let failure: Error | undefined;
  const tally: SuiteTally = { compared: 0, matched: 0, reported: [], mismatches: [] };

  beforeAll(async () => {
    try {
      result = await compute();
    } catch (e) {
      failure = e as Error;
    }
  });

  afterAll(() => {
    const parts = [`${tally.matched}/${tally.compared} features match their IBSI reference`];
    if (tally.reported.length > 0) parts.push(`${tally.reported.length} reported without consensus value`);
    const lines = [`IBSI ${title}: ${parts.join('; ')}.`, ...tally.reported.map((r) => `  no consensus ${r}`), ...tally.mismatches.map((m) => `  mismatch ${m}`)];
    // eslint-disable-next-line no-console
    console.log(lines.join('\n'));
  });

  const feature = (row: ReferenceRow): FeatureValue | undefined => {
    if (failure) throw failure;
    return findFeature(result!.features, row);
  };

  for (const row of rows) {
    const label = rowLabel(row);
    if (row.reference === null) {
      // IBSI has no consensus value for this feature in this setting: report, do not judge.
      test(`${label}: no IBSI consensus value, computed and reported`, () => {
        const f = feature(row);
        expect(f).toBeDefined();
        tally.reported.push(`${label}: ${f!.value}`);
      });
      continue;
    }
    test(`${label} = ${row.referenceText}${row.tolerance !== null ? ` ± ${row.tolerance}` : ''}`, () => {
      const f = feature(row);
      tally.compared++;
      const verdict = f ? judge(row, f.value) : 'not computed';
      if (verdict === 'match') tally.matched++;
      else tally.mismatches.push(`${label}: ${verdict}${f?.reason ? ` (${f.reason})` : ''}`);
      expect(verdict).toBe('match');
    });
  }
}
