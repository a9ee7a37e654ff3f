/**
 * One Jest test per reference value (configuration, feature, aggregation), so a mismatch is a
 * failing test, and a per family/aggregation count of matches printed after the suite.
 */
import { FeatureValue } from '../../../src/radiomics/feature';
import { allowedDifference, matches } from './reference';

export interface ExpectedValue {
  /** Family as the reference writes it (GLCM, GLRLM, ...). */
  family: string;
  feature: string;
  aggregation: FeatureValue['aggregation'];
  reference: string;
  tolerance: string;
}

function find(values: FeatureValue[], row: ExpectedValue): FeatureValue | undefined {
  return values.find((v) => v.family === row.family.toLowerCase() && v.name === row.feature && v.aggregation === row.aggregation);
}

export function describeReferenceValues(title: string, rows: readonly ExpectedValue[], compute: () => FeatureValue[]): void {
  describe(title, () => {
    let values: FeatureValue[] = [];
    const tally = new Map<string, { matched: number; total: number }>();

    beforeAll(() => {
      values = compute();
    });

    afterAll(() => {
      const lines = [...tally].map(([key, t]) => `  ${key.padEnd(32)} ${String(t.matched).padStart(3)} / ${t.total}`);
      const matched = [...tally.values()].reduce((s, t) => s + t.matched, 0);
      const total = [...tally.values()].reduce((s, t) => s + t.total, 0);
      console.log(`${title}: ${matched} of ${total} reference values match\n${lines.join('\n')}`);
    });

    test.each(rows.map((row) => [`${row.family} ${row.feature} [${row.aggregation}] = ${row.reference || '(no consensus)'}${row.tolerance ? ` ± ${row.tolerance}` : ''}`, row] as const))('%s', (_name, row) => {
      const key = `${row.family} ${row.aggregation}`;
      const t = tally.get(key) ?? { matched: 0, total: 0 };
      tally.set(key, t);
      t.total++;
      const computed = find(values, row);
      expect(computed).toBeDefined();
      if (row.reference === '') {
        // IBSI gives no consensus value here: report it, require only that it is computed.
        console.log(`${row.family} ${row.feature} [${row.aggregation}]: ${computed!.value} (no IBSI consensus value)`);
        expect(Number.isFinite(computed!.value)).toBe(true);
        t.matched++;
        return;
      }
      const ok = matches(row, computed!.value);
      if (ok) t.matched++;
      expect({ computed: computed!.value, reference: Number(row.reference), allowedDifference: allowedDifference(row), withinTolerance: ok }).toEqual({
        computed: computed!.value,
        reference: Number(row.reference),
        allowedDifference: allowedDifference(row),
        withinTolerance: true,
      });
    });
  });
}
