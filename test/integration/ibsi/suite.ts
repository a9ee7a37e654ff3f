/**
 * One IBSI configuration as a test suite: the features are computed once, then every
 * (feature, aggregation) row of the reference is its own test case, and the suite prints how
 * many matched. Texture rows run as soon as the texture engine is part of the build; until
 * then (and only then) they are skipped as "texture engine not present in this branch".
 */
import { FeatureValue } from '../../../src/radiomics/feature';
import { TEXTURE_NOT_PRESENT, textureEnginePresent } from '../../../src/radiomics/textureApi';
import { ExtractionResult } from '../../../src/radiomics/extract';
import { ReferenceRow, findFeature, isTextureRow, judge, rowLabel } from './reference';

export interface SuiteTally {
  compared: number;
  matched: number;
  noConsensus: number;
  textureAbsent: number;
  mismatches: string[];
}

export function defineReferenceCases(title: string, rows: ReferenceRow[], compute: () => Promise<ExtractionResult> | ExtractionResult): void {
  let result: ExtractionResult | undefined;
  let failure: Error | undefined;
  const tally: SuiteTally = { compared: 0, matched: 0, noConsensus: 0, textureAbsent: 0, mismatches: [] };
  const texture = textureEnginePresent();

  beforeAll(async () => {
    try {
      result = await compute();
    } catch (e) {
      failure = e as Error;
    }
  });

  afterAll(() => {
    const parts = [`${tally.matched}/${tally.compared} features match their IBSI reference`];
    if (tally.noConsensus > 0) parts.push(`${tally.noConsensus} reported without consensus value`);
    if (tally.textureAbsent > 0) parts.push(`${tally.textureAbsent} texture rows skipped: ${TEXTURE_NOT_PRESENT}`);
    const lines = [`IBSI ${title}: ${parts.join('; ')}.`, ...tally.mismatches.map((m) => `  mismatch ${m}`)];
    // eslint-disable-next-line no-console
    console.log(lines.join('\n'));
  });

  const feature = (row: ReferenceRow): FeatureValue | undefined => {
    if (failure) throw failure;
    return findFeature(result!.features, row);
  };

  for (const row of rows) {
    const label = rowLabel(row);
    if (isTextureRow(row) && !texture) {
      tally.textureAbsent++;
      test.skip(`${label} (${TEXTURE_NOT_PRESENT})`, () => undefined);
      continue;
    }
    if (row.reference === null) {
      // IBSI has no consensus value for this feature in this setting: report, do not judge.
      test(`${label}: no IBSI consensus value, computed and reported`, () => {
        const f = feature(row);
        expect(f).toBeDefined();
        tally.noConsensus++;
      });
      continue;
    }
    test(`${label} = ${row.referenceText}${row.tolerance !== null ? ` ± ${row.tolerance}` : ''}`, () => {
      const f = feature(row);
      tally.compared++;
      const verdict = f ? judge(row, f.value) : `not computed${result ? '' : ''}`;
      if (verdict === 'match') tally.matched++;
      else tally.mismatches.push(`${label}: ${verdict}${f?.reason ? ` (${f.reason})` : ''}`);
      expect(verdict).toBe('match');
    });
  }
}
