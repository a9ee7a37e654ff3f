/**
 * `cd8-node signature validate`: scores from exported features with a known signature, compared
 * with a ground truth — Spearman and AUC checked against R (cor, wilcox.test), calibration, per
 * site, the PNG plot — and the inputs it refuses.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run, runCli } from '../../support/process';
import { testSignature } from '../../support/signatures';
import { seededRandom } from '../../../src/signature/elasticNet';
import { csvLine } from '../../../src/signature/csv';
import { IDENTITY_COLUMNS } from '../../../src/signature/lesionTable';

const dir = mkdtempSync(join(tmpdir(), 'cd8-validate-'));
const rnd = seededRandom(5);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
const SITES = ['liver', 'lung', 'lymph_node'] as const;
const N = 60;
const rows = Array.from({ length: N }, (_, i) => ({
  id: `2.25.${1000 + i}`,
  site: i < 3 ? 'other' : SITES[i % 3],
  kvp: i % 4 === 0 ? null : 120,
  mean: 40 + 15 * gauss(),
  variance: 300 + 80 * gauss(),
  contrast: 3 + gauss(),
}));
// The test signature: 1.5 + 0.01 stat_mean(tumour) − 0.001 stat_var(ring) + 0.5 cm_contrast(tumour) − 0.3 liver + 0.2 (kVp 120).
const score = (r: (typeof rows)[number]) => 1.5 + 0.01 * r.mean - 0.001 * r.variance + 0.5 * r.contrast - 0.3 * (r.site === 'liver' ? 1 : 0) + 0.2;
const target = rows.map((r) => 10 * score(r) + 2 * gauss());
const features = join(dir, 'lesions.csv');
const targetFile = join(dir, 'cd8.csv');
writeFileSync(
  features,
  [csvLine([...IDENTITY_COLUMNS, 'tumour:cm_contrast[3D merged]', 'tumour:stat_mean', 'ring:stat_var']), ...rows.map((r) => csvLine([r.id, '1.2.3', 'abc', '1 GTV', r.site, 5, r.kvp, '', '2026-12-01T00:00:00Z', 'Test linear signature test-1', r.contrast, r.mean, r.variance]))].join('\n'),
);
writeFileSync(targetFile, [csvLine(['lesion_id', 'cd8_ihc']), ...rows.map((r, i) => csvLine([r.id, i === N - 1 ? '' : target[i]]))].join('\n'));
const signature = join(dir, 'sig.json');
const sig = testSignature() as { preprocessing: Record<string, unknown> };
writeFileSync(signature, JSON.stringify({ ...sig, preprocessing: { ...sig.preprocessing, radiomicsSettings: join(ROOT, 'config', 'radiomics', 'cd8.json') } }));

describe('cd8-node signature validate', () => {
  it('Spearman and AUC (as R computes them) with CIs, calibration, per site; the plot', async () => {
    const plot = join(dir, 'plot.png');
    const r = await runCli(['signature', 'validate', '--signature', signature, '--features', features, '--target', targetFile, '--plot', plot, '--json'], {}, { timeoutMs: 60000 });
    if (r.code !== 0) throw new Error(r.stderr);
    const v = JSON.parse(r.stdout);
    expect(v.points).toHaveLength(N - 1);
    expect(v.leftOutWithoutTarget).toBe(1);
    v.points.forEach((p: { lesionId: string; score: number }) => expect(p.score).toBeCloseTo(score(rows.find((x) => x.id === p.lesionId)!), 10));
    // R: Spearman by cor(); AUC = W / (m k) of wilcox.test (target ≥ median positive).
    const s = v.points.map((p: { score: number }) => p.score);
    const t = v.points.map((p: { target: number }) => p.target);
    const script = `s <- c(${s.join(',')}); t <- c(${t.join(',')}); pos <- t >= median(t)
cat(sprintf('%.15g', cor(s, t, method = 'spearman')), sprintf('%.15g', suppressWarnings(wilcox.test(s[pos], s[!pos])$statistic) / (sum(pos) * sum(!pos))), sprintf('%.15g', median(t)), '\\n')`;
    const R = await run('Rscript', ['-e', script]);
    const [rho, aucR, median] = R.stdout.trim().split(' ').map(Number);
    expect(v.overall.spearman.value).toBeCloseTo(rho, 12);
    expect(v.overall.auc.value).toBeCloseTo(aucR, 12);
    expect(v.overall.targetMedian).toBeCloseTo(median, 12);
    for (const e of [v.overall.spearman, v.overall.auc]) {
      expect(e.low).toBeLessThan(e.value);
      expect(e.high).toBeGreaterThan(e.value);
    }
    expect(v.overall.calibration).toHaveLength(5);
    expect(v.overall.calibration.map((c: { n: number }) => c.n).reduce((a: number, b: number) => a + b, 0)).toBe(N - 1);
    // Mean target rises with the score group.
    const means = v.overall.calibration.map((c: { meanTarget: number }) => c.meanTarget);
    expect([...means].sort((a, b) => a - b)).toEqual(means);
    expect(Object.keys(v.perSite).sort()).toEqual(['liver', 'lung', 'lymph_node']);
    // The plot: a PNG of the size drawn.
    const png = readFileSync(plot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([900, 650]);

    const text = await runCli(['signature', 'validate', '--signature', signature, '--features', features, '--target', targetFile], {}, { timeoutMs: 60000 });
    expect(text.stdout).toMatch(/^All lesions: 59 lesions; Spearman ρ 0\.\d+ \(95 % CI 0\.\d+ to 0\.\d+\); AUC 0\.\d+ \(95 % CI/m);
    expect(text.stdout).toMatch(/Hot\/cold at score ≥ 2: \d+ hot, \d+ cold\./);
    // Every lesion of this cohort comes from one (hashed) patient: the CIs are said to be too narrow.
    expect(v.patients).toBe(1);
    expect(text.stdout).toMatch(/^59 lesions of 1 patient scored; 1 without a target left out; 0 could not be scored\.\nLesions of one patient are not independent: the confidence intervals below, which assume they are, are too narrow\.$/m);
    expect(text.stdout).toMatch(/Site other: 3 lesions, too few for a correlation or an AUC \(needs 4\)\./);
    expect(text.stdout).toMatch(/^Site liver: 19 lesions; Spearman/m);
  }, 90000);

  it('refuses an incomplete signature and IDs that do not match, saying why', async () => {
    const shipped = join(ROOT, 'config', 'signatures', 'cd8-sun2018.json');
    const r = await runCli(['signature', 'validate', '--signature', shipped, '--features', features, '--target', targetFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cd8-node signature validate: the signature is incomplete \(preprocessing settings; term 1 .* pending\): there is no score to validate\./);
    const wrong = join(dir, 'wrong.csv');
    writeFileSync(wrong, `lesion_id,cd8\nGTV-1,3\n${rows[0].id},2\n`);
    const w = await runCli(['signature', 'validate', '--signature', signature, '--features', features, '--target', wrong]);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/1 lesion ID of .*wrong\.csv is not in .*lesions\.csv: GTV-1\. The target's first column must hold the lesion_id of the export\./);
  }, 60000);

  it('refuses a target without its ground-truth column, a plot in a folder that does not exist, a constant target, and too few lesions', async () => {
    const validate = (t: string) => runCli(['signature', 'validate', '--signature', signature, '--features', features, '--target', t]);
    const one = join(dir, 'ids-only.csv');
    writeFileSync(one, ['lesion_id', ...rows.map((r) => r.id)].join('\n'));
    const o = await validate(one);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/^cd8-node signature validate: .*ids-only\.csv: has no ground-truth column \(only lesion_id\); give two columns: the lesion_id of the export, then the ground truth/);
    const flat = join(dir, 'flat.csv');
    writeFileSync(flat, ['lesion_id,cd8', ...rows.map((r) => `${r.id},7`)].join('\n'));
    const f = await validate(flat);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/^cd8-node signature validate: the target is the same \(7\) for all 60 scored lesions of .*flat\.csv: there is nothing to correlate the scores with\./);
    const plotNowhere = await runCli(['signature', 'validate', '--signature', signature, '--features', features, '--target', targetFile, '--plot', join(dir, 'missing-folder', 'p.png')]);
    expect(plotNowhere.code).toBe(1);
    expect(plotNowhere.stderr).toMatch(/^cd8-node signature validate: --plot .*p\.png: the folder .*missing-folder does not exist/);
    const few = join(dir, 'few.csv');
    writeFileSync(few, ['lesion_id,cd8', ...rows.slice(0, 3).map((r, i) => `${r.id},${i}`)].join('\n'));
    const w = await validate(few);
    expect(w.code).toBe(1);
    expect(w.stderr).toBe('cd8-node signature validate: 3 lesions with a target could be scored; validation needs at least 4.\n');
  }, 60000);
});
