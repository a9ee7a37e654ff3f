/**
 * `cd8-node signature fit` against R glmnet on a synthetic cohort whose ground truth follows a
 * known sparse linear model: same λ path, same lambda.min / lambda.1se with the same folds, same
 * selected terms and coefficients (1e-3 relative) — and the true terms recovered. Then every bad
 * input the fit refuses, each with its message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../../support/process';
import { expectSameAsGlmnet, FitReport, glmnetCv } from '../../support/glmnet';
import { seededRandom } from '../../../src/signature/elasticNet';
import { csvLine, parseCsv } from '../../../src/signature/csv';
import { IDENTITY_COLUMNS } from '../../../src/signature/lesionTable';
import { parseSignature } from '../../../src/cd8/signatureSchema';

const dir = mkdtempSync(join(tmpdir(), 'cd8-fit-'));
const rnd = seededRandom(2024);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

// 25 candidate feature columns of tumour and ring (real IBSI keys), 3 of them in the true model.
const FEATURES = [
  'tumour:stat_mean', 'tumour:stat_var', 'tumour:stat_skew', 'tumour:ih_entropy', 'tumour:morph_sphericity', 'tumour:morph_vol',
  'tumour:cm_contrast[3D merged]', 'tumour:cm_joint_entr[3D averaged]', 'tumour:rlm_sre[3D averaged]', 'tumour:szm_sze[3D]', 'tumour:ngt_busyness[3D]',
  'tumour:ngl_lde[3D]', 'tumour:dzm_sde[3D]', 'ring:stat_mean', 'ring:stat_var', 'ring:stat_skew', 'ring:ih_entropy', 'ring:cm_contrast[3D merged]',
  'ring:cm_joint_entr[3D averaged]', 'ring:rlm_sre[3D averaged]', 'ring:szm_sze[3D]', 'ring:ngt_busyness[3D]', 'ring:ngl_lde[3D]', 'ring:dzm_sde[3D]', 'ring:stat_median',
];
const SITES = ['liver', 'lung', 'lymph_node'] as const;
// The configured (shipped) signature, whose radiomics settings made these features.
const SHIPPED = 'CD8 radiomic score 2018-structure-only';
const N = 150;
const lesions = Array.from({ length: N }, (_, i) => {
  const f = Object.fromEntries(FEATURES.map((c, j) => [c, 10 * (j + 1) + (j + 1) * gauss()]));
  const site = SITES[i % 3];
  const kvp = [100, 120, 140][Math.floor(rnd() * 3)];
  return { id: `1.2.826.0.1.3680043.2.1125.${i + 1}`, patient: `p${String(i).padStart(3, '0')}`, site, kvp, signature: SHIPPED, f };
});
// Ground truth: 3 features and the liver indicator, plus noise.
const truth = (l: (typeof lesions)[number]) =>
  5 + 0.6 * l.f['tumour:stat_mean'] - 0.25 * l.f['ring:cm_contrast[3D merged]'] + 0.2 * l.f['tumour:szm_sze[3D]'] + 3 * (l.site === 'liver' ? 1 : 0) + 1.5 * gauss();
const TRUE_TERMS = ['tumour:stat_mean', 'ring:cm_contrast[3D merged]', 'tumour:szm_sze[3D]', 'site:liver'];

function featuresCsv(rows: typeof lesions, columns = FEATURES, cell = (l: (typeof lesions)[number], c: string) => l.f[c] as number | string): string {
  return [csvLine([...IDENTITY_COLUMNS, ...columns]), ...rows.map((l) => csvLine([l.id, `1.2.3.${l.patient}`, l.patient, '1 GTV', l.site, 12.5, l.kvp, '', '2026-12-01T00:00:00Z', l.signature, ...columns.map((c) => cell(l, c))]))].join('\n') + '\n';
}
const featuresFile = join(dir, 'lesions.csv');
const targetFile = join(dir, 'cd8.csv');
writeFileSync(featuresFile, featuresCsv(lesions));
const y = lesions.map(truth);
// Five lesions without ground truth: left out and counted.
writeFileSync(targetFile, [csvLine(['lesion_id', 'cd8b']), ...lesions.map((l, i) => csvLine([l.id, i < 5 ? '' : y[i]]))].join('\n') + '\n');

const relClose = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.max(Math.abs(a), Math.abs(b));

describe.each([
  ['lambda.1se', '1se', 0.5],
  ['lambda.min', 'min', 1],
] as const)('signature fit (%s, --lambda %s, alpha %s) matches R glmnet on a known sparse model', (rule, flag, alpha) => {
  const out = join(dir, `sig-${flag}.json`);
  const design = join(dir, `design-${flag}.csv`);
  let report: FitReport & { cvR2: number; cvAuc: { value: number; low: number; high: number }; leftOutWithoutTarget: number };

  beforeAll(async () => {
    const r = await runCli(['signature', 'fit', '--features', featuresFile, '--target', targetFile, '--out', out, '--alpha', String(alpha), '--folds', '10', '--seed', '7', '--lambda', flag, '--bootstrap', '20', '--design', design, '--json'], {}, { timeoutMs: 240000 });
    if (r.code !== 0) throw new Error(r.stderr);
    report = JSON.parse(r.stdout);
  }, 250000);

  it('same λ path, lambda.min and lambda.1se as cv.glmnet with the node\'s folds; same terms and coefficients at the chosen λ', async () => {
    const R = await glmnetCv(design, alpha, rule, dir);
    const d = parseCsv(readFileSync(design, 'utf8'), 'design');
    expect(R.columns).toEqual(d.header.slice(3));
    expectSameAsGlmnet(report, R, rule);
  }, 200000);

  it('recovers the true terms with their signs, and left out the lesions without a target', () => {
    const coef = new Map(report.selected.map((t) => [t.candidate.column, t.coefficient]));
    for (const t of TRUE_TERMS) expect(coef.has(t)).toBe(true);
    expect(coef.get('tumour:stat_mean')!).toBeGreaterThan(0);
    expect(coef.get('ring:cm_contrast[3D merged]')!).toBeLessThan(0);
    expect(coef.get('site:liver')!).toBeGreaterThan(0);
    // The true terms are selected in (nearly) every bootstrap fit.
    for (const t of TRUE_TERMS) expect(report.selected.find((s) => s.candidate.column === t)!.selectionFrequency).toBeGreaterThanOrEqual(0.8);
    expect(report.cvR2).toBeGreaterThan(0.8);
    expect(report.cvAuc.value).toBeGreaterThan(0.85);
    expect(report.cvAuc.low).toBeLessThan(report.cvAuc.value);
    expect(report.leftOutWithoutTarget).toBe(5);
  });

  it('writes a complete, valid signature: origin site-fitted, provenance with data hash, settings, CV error and λ', () => {
    const sig = JSON.parse(readFileSync(out, 'utf8'));
    const parsed = parseSignature(sig);
    expect(parsed.issues).toEqual([]);
    expect(sig.origin).toBe('site-fitted');
    expect(sig.provenance).toMatchObject({ lambdaRule: rule, lesions: 145, patients: 145, dataHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(relClose(sig.provenance.lambda, report.lambda)).toBe(true);
    expect(sig.provenance.settings).toMatch(new RegExp(`alpha ${alpha}; 10 folds by patient, seed 7; ${rule}; nlambda 100`));
    expect(sig.terms.find((t: { feature: string }) => t.feature === 'szm_sze')).toMatchObject({ aggregation: '3D', region: 'tumour', status: 'verified' });
    expect(sig.covariates.find((c: { name: string }) => c.name === 'site_liver')).toMatchObject({ kind: 'site-indicator', site: 'liver' });
    expect(sig.threshold).toMatchObject({ mode: 'absolute', status: 'verified' });
    // The radiomics settings travel beside it, a frozen copy of the configured signature's.
    expect(sig.preprocessing.radiomicsSettings).toBe(`sig-${flag}.radiomics.json`);
    expect(readFileSync(join(dir, `sig-${flag}.radiomics.json`), 'utf8')).toBe(readFileSync(join(ROOT, 'config', 'radiomics', 'cd8.json'), 'utf8'));
  });
});

describe('signature fit refuses bad inputs, each with its message', () => {
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const fit = (features: string, target: string, extra: string[] = []) =>
    runCli(['signature', 'fit', '--features', features, '--target', target, '--out', join(dir, 'never.json'), '--bootstrap', '0', ...extra], {}, { timeoutMs: 120000 });

  it('fewer patients than folds', async () => {
    const few = write('few.csv', featuresCsv(lesions.slice(0, 8)));
    const t = write('few-target.csv', [csvLine(['lesion_id', 'cd8b']), ...lesions.slice(0, 8).map((l, i) => csvLine([l.id, y[i]]))].join('\n'));
    const r2 = await fit(few, t);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toBe('cd8-node signature fit: 8 patients (8 lesions with a target) are fewer than the 10 folds of the cross-validation (lesions of a patient stay in one fold); give --folds 8 or fewer (at least 3), or more patients.\n');
  }, 150000);

  it('constant columns', async () => {
    const f = write('constant.csv', featuresCsv(lesions, FEATURES, (l, c) => (c === 'ring:stat_skew' ? 0.5 : l.f[c])));
    const r = await fit(f, targetFile);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cd8-node signature fit: 1 column is constant across the 145 lesions with a target, so it cannot enter the fit: ring:stat_skew\. Leave it out with --exclude \(patterns with \* allowed, e\.g\. --exclude "ring:stat_skew"\)\./);
    const ok = await fit(f, targetFile, ['--exclude', 'ring:stat_*', '--folds', '5']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  }, 150000);

  it('missing values', async () => {
    const f = write('missing.csv', featuresCsv(lesions, FEATURES, (l, c) => (c === 'tumour:ngl_lde[3D]' && l.patient === 'p010' ? '' : l.f[c])));
    const r = await fit(f, targetFile);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cd8-node signature fit: missing values \(features undefined for some lesions\) in 1 column: tumour:ngl_lde\[3D\] \(1 lesion: 1\.2\.826\.0\.1\.3680043\.2\.1125\.11\)\. Leave those columns out with --exclude "tumour:ngl_lde\[3D\]" \(patterns with \* allowed\), or those lesions out of .*cd8\.csv\./);
  }, 150000);

  it('lesion IDs that do not match', async () => {
    const t = write('wrong-ids.csv', [csvLine(['lesion_id', 'cd8b']), ...lesions.map((l, i) => csvLine([i < 3 ? `GTV-${i}` : l.id, y[i]]))].join('\n'));
    const r = await fit(featuresFile, t);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cd8-node signature fit: 3 lesion IDs of .*wrong-ids\.csv are not in .*lesions\.csv: GTV-0, GTV-1, GTV-2\. The target's first column must hold the lesion_id of the export/);
  }, 150000);

  it('fewer than 3 patients, whatever the folds', async () => {
    // Every lesion of the export under two patients.
    const two = write('two-patients.csv', featuresCsv(lesions.map((l, i) => ({ ...l, patient: `p${i % 2}` }))));
    const r = await fit(two, targetFile, ['--folds', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("cd8-node signature fit: 2 patients (145 lesions with a target): the cross-validation needs at least 3 patients (lesions of a patient stay in one fold), and a signature worth using many more. Check the export's patient column, or add patients.\n");
  }, 150000);

  it('a target file without its ground-truth column, and a constant target', async () => {
    const one = write('ids-only.csv', [csvLine(['lesion_id']), ...lesions.map((l) => csvLine([l.id]))].join('\n'));
    const r = await fit(featuresFile, one);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cd8-node signature fit: .*ids-only\.csv: has no ground-truth column \(only lesion_id\); give two columns: the lesion_id of the export, then the ground truth \(e\.g\. lesion_id,cd8b\)\.\n$/);
    const flat = write('flat.csv', [csvLine(['lesion_id', 'cd8b']), ...lesions.map((l) => csvLine([l.id, 5]))].join('\n'));
    const c = await fit(featuresFile, flat);
    expect(c.code).toBe(1);
    expect(c.stderr).toBe('cd8-node signature fit: the target is the same for every lesion (5); there is nothing to fit.\n');
  }, 150000);

  it('features of several signatures, or of another signature than the configured one', async () => {
    const mixed = write('mixed.csv', featuresCsv(lesions.map((l, i) => (i < 40 ? { ...l, signature: 'Site signature 1' } : l))));
    const r = await fit(mixed, targetFile);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `cd8-node signature fit: the lesions with a target were analysed under 2 signatures ("${SHIPPED}": 110, "Site signature 1": 35), whose radiomics settings may differ, so their features may not be comparable. Fit on the lesions of one signature (its rows of the signature column), or analyse them all again with one (cd8-node features --batch DIR --signature FILE).\n`,
    );
    const other = write('other-signature.csv', featuresCsv(lesions.map((l) => ({ ...l, signature: 'Site signature 1' }))));
    const o = await fit(other, targetFile);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/^cd8-node signature fit: the features were computed under the signature "Site signature 1" \(its radiomics settings\), but the configured signature is "CD8 radiomic score 2018-structure-only": .* Give --radiomics-settings FILE with the settings of "Site signature 1"/);
    // Naming the settings is the way out; they are copied beside the signature.
    const lifex = join(ROOT, 'config', 'radiomics', 'lifex-ct.json');
    const ok = await fit(other, targetFile, ['--radiomics-settings', lifex, '--folds', '5']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'never.radiomics.json'), 'utf8')).toBe(readFileSync(lifex, 'utf8'));
  }, 150000);

  it('a target that is not a number, a target file with extra columns, a features file that is not an export', async () => {
    const t = write('nan.csv', `lesion_id,cd8b\n${lesions[0].id},high\n`);
    const r = await fit(featuresFile, t);
    expect(r.stderr).toMatch(/nan\.csv: line 2: "high" is not a number \(leave the cell empty for a lesion without ground truth\)\./);
    const t3 = write('three.csv', `lesion_id,cd8b,ihc\n${lesions[0].id},1,2\n`);
    expect((await fit(featuresFile, t3)).stderr).toMatch(/three\.csv: needs exactly two columns \(the lesion_id of the export, then the ground truth\), found 3: lesion_id, cd8b, ihc\./);
    const other = write('other.csv', 'id,x\n1,2\n');
    expect((await fit(other, targetFile)).stderr).toMatch(/other\.csv: columns lesion_id, study_uid, patient, tracking_id, site, volume_ml, kvp, flags, analysed_at, signature are missing; give the CSV written by "cd8-node export features"/);
    const nowhere = await runCli(['signature', 'fit', '--features', featuresFile, '--target', targetFile, '--out', join(dir, 'no-such-folder', 'x.json')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/^cd8-node signature fit: --out .*x\.json: the folder .*no-such-folder does not exist; create it or name another file\.\n$/);
    const usage = await runCli(['signature', 'fit', '--features', featuresFile, '--target', targetFile, '--out', join(dir, 'x.json'), '--folds', '2']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--folds must be a whole number ≥ 3, not "2"\./);
  }, 150000);
});
