/**
 * `cd8-node signature check` and `config check` on signature files written with LIFEx names:
 * how each term resolves, its value on the phantom, and unknown / ambiguous names refused with
 * the term's position in the file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../../support/process';
import { testSignature } from '../../support/signatures';

const dir = mkdtempSync(join(tmpdir(), 'cd8-sigcheck-'));
const settings = join(ROOT, 'config', 'radiomics', 'lifex-ct.json');

function writeSignature(name: string, terms: Array<Record<string, unknown>>): string {
  const file = join(dir, name);
  const base = testSignature({ terms, covariates: [] }) as { preprocessing: Record<string, unknown> };
  writeFileSync(file, JSON.stringify({ ...base, preprocessing: { ...base.preprocessing, radiomicsSettings: settings } }, null, 2));
  return file;
}

const term = (feature: string, region = 'tumour', coefficient = 0.5) => ({ feature, aggregation: null, region, coefficient, status: 'verified', note: '' });

describe('cd8-node signature check', () => {
  it('shows each LIFEx name resolved to its IBSI feature, with its source, and evaluates it on the phantom', async () => {
    const file = writeSignature('lifex.json', [term('GLCM_Entropy_log10'), term('NGLDM_Busyness', 'ring', -0.2), term('CONVENTIONAL_HUmean', 'tumour', 0.01)]);
    const r = await runCli(['signature', 'check', file], {}, { timeoutMs: 60000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1\. "GLCM_Entropy_log10" \(LIFEx name\) → cm_joint_entr \(TU9B, Joint entropy\), 3D averaged, tumour; value = 0\.301 × IBSI; coefficient 0\.5 \[verified\]/);
    expect(r.stdout).toMatch(/2\. "NGLDM_Busyness" \(LIFEx name\) → ngt_busyness \(NQ30, Busyness\), 3D, ring; coefficient -0\.2/);
    expect(r.stdout).toMatch(/source: lifexsoft\.org\/.*neighborhood-grey-level-different-matrix-ngldm .*IBSI's NGTDM/);
    expect(r.stdout).toMatch(/3\. "CONVENTIONAL_HUmean" \(LIFEx name\) → stat_mean \(Q4LE, Mean intensity\), tumour/);
    expect(r.stdout).toMatch(/Pending:\n {2}nothing: the signature is complete\./);
    // On the phantom (~60 HU lesion): a plausible mean, a finite score that is the sum of the contributions.
    const mean = Number(/CONVENTIONAL_HUmean \(tumour\)\s+(-?[\d.]+) ×/.exec(r.stdout)![1]);
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(90);
    const contributions = [...r.stdout.matchAll(/= +(-?[\d.e+-]+)\n/g)].map((m) => Number(m[1]));
    const score = Number(/\n {2}score (-?[\d.e+-]+)/.exec(r.stdout)![1]);
    expect(contributions).toHaveLength(4);
    expect(score).toBeCloseTo(contributions.reduce((a, b) => a + b, 0), 2);
    expect(r.stdout).toMatch(/lifex\.json: valid\./);
  }, 90000);

  it('evaluates it on every lesion of a real study instead (the IBSI CT phantom)', async () => {
    const file = writeSignature('lifex-ct.json', [term('GLCM_Entropy_log10'), term('CONVENTIONAL_HUmean', 'tumour', 0.01)]);
    const phantom = join(ROOT, '..', 'shared', 'data', 'ibsi-ct-phantom', 'dicom');
    const r = await runCli(['signature', 'check', file, '--ct', join(phantom, 'image'), '--rtstruct', join(phantom, 'mask', 'DCM_RS_00060.dcm')], {}, { timeoutMs: 120000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/On lesion 1 GTV-1 of .*DCM_RS_00060\.dcm \(\w+, [\d.]+ ml\): value × coefficient = contribution/);
    // The phantom's GTV-1 is lung tumour tissue: a mean of a few tens of HU below zero.
    const mean = Number(/CONVENTIONAL_HUmean \(tumour\)\s+(-?[\d.]+) ×/.exec(r.stdout)![1]);
    expect(mean).toBeGreaterThan(-100);
    expect(mean).toBeLessThan(0);
    expect(r.stdout).toMatch(/\n {2}score -?[\d.]+\n/);
  }, 150000);

  it('the shipped signature: every value pending, no score on the phantom', async () => {
    const r = await runCli(['signature', 'check', join(ROOT, 'config', 'signatures', 'cd8-sun2018.json')], {}, { timeoutMs: 60000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1\. \(feature pending\)/);
    expect(r.stdout).toMatch(/ {2}- intercept\n/);
    expect(r.stdout).toMatch(/no score: not available: signature incomplete/);
  }, 90000);

  it.each([
    ['an unknown name', 'GLZLM_SZEE', /terms\[1\]\.feature: "GLZLM_SZEE" is not a feature the node knows\. LIFEx GLZLM names: SZE, LZE,/],
    ['an ambiguous LIFEx name', 'GLCM_Entropy', /terms\[1\]\.feature: "GLCM_Entropy" is ambiguous: LIFEx prints GLCM_Entropy_log10 and GLCM_Entropy_log2/],
    ['an ambiguous IBSI name', 'Grey level non-uniformity', /terms\[1\]\.feature: "Grey level non-uniformity" is ambiguous: IBSI has \d features of that name \(rlm_glnu W92Y|terms\[1\]\.feature: "Grey level non-uniformity" is ambiguous: IBSI has \d features of that name/],
    ['a LIFEx name with no IBSI equivalent', 'SHAPE_Compacity', /terms\[1\]\.feature: "SHAPE_Compacity" \(LIFEx\) has no IBSI equivalent: A\^\(3\/2\)\/V is a power of IBSI compactness 1/],
  ])('%s fails signature check and config check with the term position', async (_what, name, message) => {
    const file = writeSignature(`bad-${name.replace(/\W/g, '')}.json`, [term('GLRLM_SRE'), term(name)]);
    const check = await runCli(['signature', 'check', file], {}, { timeoutMs: 60000 });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(message);
    expect(check.stderr).toMatch(/1 error\. Fix them; the node will not start with this signature\./);
    const config = await runCli(['config', 'check', '--signature', file]);
    expect(config.code).toBe(1);
    expect(config.stderr).toMatch(message);
    const viaEnv = await runCli(['config', 'check'], { CD8_SIGNATURE: file });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toMatch(message);
  }, 90000);

  it('the LIFEx CT preset is a valid radiomics settings file whose description gives its sources', async () => {
    const preset = JSON.parse(readFileSync(settings, 'utf8')) as { description: string; status: string };
    expect(preset.status).toBe('pending');
    expect(preset.description).toMatch(/DOCUMENTED \(source: LIFEx/);
    expect(preset.description).toMatch(/NOT FOUND in the LIFEx documentation/);
    const r = await runCli(['features', '--image', join(ROOT, '..', 'shared', 'data', 'ibsi-ct-phantom', 'nifti', 'image', 'phantom.nii.gz'), '--mask', join(ROOT, '..', 'shared', 'data', 'ibsi-ct-phantom', 'nifti', 'mask', 'mask.nii.gz'), '--settings', settings, '--json'], {}, { timeoutMs: 120000 });
    if (r.code !== 0) throw new Error(r.stderr);
    const f = (JSON.parse(r.stdout) as { features: Record<string, number> }).features;
    expect(Object.keys(f)).toEqual(expect.arrayContaining(['cm_joint_entr[3D averaged]', 'rlm_sre[3D averaged]', 'szm_sze[3D]', 'ngt_busyness[3D]', 'ih_entropy', 'stat_mean']));
    expect(Object.keys(f).some((k) => k.endsWith('[3D merged]'))).toBe(false);
  }, 150000);
});
