import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isComplete, parseSignature, pendingItems } from '../../../src/cd8/signatureSchema';
import { ROOT } from '../../support/process';
import { testSignature } from '../../support/signatures';

const shipped = () => JSON.parse(readFileSync(join(ROOT, 'config', 'signatures', 'cd8-sun2018.json'), 'utf8')) as Record<string, unknown>;
const errors = (raw: unknown) => parseSignature(raw).issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);

describe('signature files', () => {
  it('the shipped CD8 signature is well-formed but incomplete: every pending value is named, none is invented', () => {
    const parsed = parseSignature(shipped());
    expect(errors(shipped())).toEqual([]);
    const sig = parsed.signature!;
    expect(isComplete(sig)).toBe(false);
    expect(sig.terms).toHaveLength(5);
    expect(sig.covariates).toHaveLength(3);
    expect(sig.terms.every((t) => t.coefficient === null && t.feature === null && t.status === 'pending')).toBe(true);
    expect(sig.covariates.every((c) => c.coefficient === null && c.status === 'pending')).toBe(true);
    expect(sig.intercept.value).toBeNull();
    expect(pendingItems(sig)).toEqual([
      'preprocessing settings',
      'term 1 (feature, region, coefficient unknown)',
      'term 2 (feature, region, coefficient unknown)',
      'term 3 (feature, region, coefficient unknown)',
      'term 4 (feature, region, coefficient unknown)',
      'term 5 (feature, region, coefficient unknown)',
      'covariate 1 (name, kind, coefficient unknown)',
      'covariate 2 (name, kind, coefficient unknown)',
      'covariate 3 (name, kind, coefficient unknown)',
      'intercept',
    ]);
    expect(parsed.issues).toContainEqual(expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/^incomplete: 10 values are pending/) }));
    expect(sig.threshold.provenance).toMatch(/No absolute cut-off is published/);
  });

  it('a complete test signature has no pending item', () => {
    const parsed = parseSignature(testSignature());
    expect(parsed.issues).toEqual([]);
    expect(isComplete(parsed.signature!)).toBe(true);
  });

  it.each([
    ['a misspelled key', { ...testSignature(), interecpt: { value: 1 } }, 'interecpt: unknown key "interecpt". Did you mean "intercept"?'],
    [
      'a texture feature without its aggregation',
      testSignature({ terms: [{ feature: 'cm_contrast', aggregation: null, region: 'tumour', coefficient: 1, status: 'verified', note: '' }] }),
      'terms[0].aggregation: "cm_contrast" is a texture feature: name its IBSI aggregation, e.g. "3D merged".',
    ],
    [
      'an aggregation that IBSI does not define',
      testSignature({ terms: [{ feature: 'cm_contrast', aggregation: '3D mixed', region: 'tumour', coefficient: 1, status: 'verified', note: '' }] }),
      'terms[0].aggregation: "3D mixed" is not allowed',
    ],
    [
      'a verified term with no coefficient',
      testSignature({ terms: [{ feature: 'stat_mean', aggregation: null, region: 'tumour', coefficient: null, status: 'verified', note: '' }] }),
      'terms[0]: is marked "verified" but its feature, region or coefficient is null',
    ],
    [
      'a coefficient written as text',
      testSignature({ terms: [{ feature: 'stat_mean', aggregation: null, region: 'tumour', coefficient: '0.5', status: 'verified', note: '' }] }),
      'terms[0].coefficient: expected a number, found "0.5".',
    ],
    [
      'a region that is neither tumour nor ring',
      testSignature({ terms: [{ feature: 'stat_mean', aggregation: null, region: 'border', coefficient: 1, status: 'verified', note: '' }] }),
      'terms[0].region: "border" is not allowed; use one of: tumour, ring.',
    ],
    ['no term at all', testSignature({ terms: [] }), 'terms: a signature needs at least one term.'],
    [
      'a site indicator for a site we do not know',
      testSignature({ covariates: [{ name: 'site_brain', kind: 'site-indicator', site: 'brain', kvp: null, coefficient: 1, status: 'verified', note: '' }] }),
      'covariates[0].site: "brain" is not allowed',
    ],
    [
      'the same feature twice',
      testSignature({
        terms: [
          { feature: 'stat_mean', aggregation: null, region: 'tumour', coefficient: 1, status: 'verified', note: '' },
          { feature: 'stat_mean', aggregation: null, region: 'tumour', coefficient: 2, status: 'verified', note: '' },
        ],
      }),
      'terms[1]: repeats terms[0] (stat_mean in tumour); merge their coefficients.',
    ],
  ])('rejects %s with a precise message', (_what, raw, message) => {
    expect(parseSignature(raw).signature).toBeUndefined();
    expect(errors(raw)).toEqual([expect.stringContaining(message)]);
  });
});
