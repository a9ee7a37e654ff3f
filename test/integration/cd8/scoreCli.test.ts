/**
 * `cd8-node score` on real data: the IBSI CT phantom and two soft-tissue sarcoma patients.
 * With the shipped signature (values pending) no score is ever shown; with a complete test
 * signature every lesion gets a finite score and a class.
 */
import { join } from 'node:path';
import { ROOT, runCli, SHARED } from '../../support/process';
import type { StudyAnalysis } from '../../../src/results/types';

const DATA = join(SHARED, 'data');
const CASES = [
  { name: 'IBSI CT phantom', ct: join(DATA, 'ibsi-ct-phantom', 'dicom', 'image'), rtstruct: join(DATA, 'ibsi-ct-phantom', 'dicom', 'mask', 'DCM_RS_00060.dcm'), lesion: '1 GTV-1', kvp: null },
  { name: 'STS_001', ct: join(DATA, 'sts', 'STS_001', 'CT', 'image'), rtstruct: join(DATA, 'sts', 'STS_001', 'CT', 'mask', 'RS.dcm'), lesion: 'GTV_Mass_CT', kvp: 140 },
  { name: 'STS_002', ct: join(DATA, 'sts', 'STS_002', 'CT', 'image'), rtstruct: join(DATA, 'sts', 'STS_002', 'CT', 'mask', 'RS.dcm'), lesion: 'GTV_Mass_CT', kvp: 140 },
];

// A complete linear signature over real IBSI features of both regions (test values, not the CD8 signature).
const testSignature = join(ROOT, 'test', 'fixtures', 'complete-test-signature.json');

describe.each(CASES)('cd8-node score on $name', (c) => {
  it('with the shipped signature: every feature of both regions, the covariates and flags, and no score', async () => {
    const r = await runCli(['score', '--ct', c.ct, '--rtstruct', c.rtstruct], {}, { timeoutMs: 120000 });
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/Signature: CD8 radiomic score .* INCOMPLETE/);
    expect(out).toMatch(new RegExp(`Lesion \\d+ ${c.lesion.replace(/^\d+ /, '')}: site \\w+ \\(.*\\), [\\d.]+ ml, \\d+ voxels`));
    expect(out).toMatch(/CD8 score not available: signature incomplete/);
    expect(out).not.toMatch(/CD8 score -?\d/);
    // Tumour and ring columns, IBSI tags with aggregations.
    expect(out).toMatch(/^ {4}stat_mean\s+-?[\d.e+-]+\s+-?[\d.e+-]+$/m);
    expect(out).toMatch(/^ {4}cm_contrast\[3D merged\]\s+[\d.e+-]+\s+[\d.e+-]+$/m);
    expect(out).toMatch(/^ {4}morph_vol\s+[\d.e+-]+\s+[\d.e+-]+$/m);
    if (c.kvp === null) expect(out).toMatch(/\[flag\] missing-kvp: KVP \(0018,0060\) is missing: 120 kV assumed\./);
    else {
      expect(out).toMatch(new RegExp(`KVP ${c.kvp}`));
      expect(out).not.toMatch(/missing-kvp/);
    }
    expect(out).toMatch(/Patient summary \(1 lesion, 0 scored\):/);
    expect(out).toMatch(/research biomarker, not a diagnosis/);
  }, 150000);

  it('with a complete test signature: a finite score and class per lesion, every term accounted for', async () => {
    const r = await runCli(['score', '--ct', c.ct, '--rtstruct', c.rtstruct, '--signature', testSignature, '--json'], {}, { timeoutMs: 120000 });
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as StudyAnalysis;
    expect(a.lesions).toHaveLength(1);
    const l = a.lesions[0];
    expect(l.scoreStatus).toBe('scored');
    expect(Number.isFinite(l.score)).toBe(true);
    expect(l.classification).toBe(l.score! >= 0 ? 'hot' : 'cold');
    const sum = l.terms.reduce((s, t) => s + t.contribution!, 0);
    expect(l.score).toBeCloseTo(sum, 10);
    for (const t of l.terms.filter((t) => t.kind === 'feature')) {
      const key = t.aggregation ? `${t.name}[${t.aggregation}]` : t.name;
      expect(t.value).toBe(l.features![t.region === 'ring' ? 'ring' : 'tumour'][key]);
    }
    expect(l.terms.find((t) => t.name === 'kvp_120')).toMatchObject({ value: c.kvp === 140 ? 0 : 1 });
    expect(a.summary).toMatchObject({ count: 1, min: l.score, max: l.score });
  }, 150000);
});

describe('cd8-node score on files that cannot be read at all', () => {
  it('lists the problems and exits 1 (no "unexpected error")', async () => {
    const r = await runCli(['score', '--ct', join(DATA, 'no-such-ct'), '--rtstruct', join(DATA, 'no-such-rtstruct.dcm')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cd8-node score: the study cannot be used:\n {2}- \[rtstruct-unreadable\] RTSTRUCT: cannot read .*no-such-rtstruct\.dcm/);
    expect(r.stderr).not.toMatch(/unexpected error/);
  });
});
