/**
 * The signature toolkit on features the node itself computes: the IBSI phantom and the sarcoma
 * patients STS_001 / STS_002, each lesion also drawn smaller and larger (contour variants, each
 * with its own peritumoral ring), analysed by `features --batch`; a synthetic ground truth;
 * `signature fit` compared with R glmnet on the same folds; then the fitted signature dropped into
 * the node (score.signature) scores a study end to end — SR with score and hot/cold class, ORU, the
 * lesion's key image (Secondary Capture) — and `cd8-node score` gives the same numbers and the same
 * picture offline.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runCli, SHARED, waitFor } from '../../support/process';
import { expectSameAsGlmnet, FitReport, glmnetCv } from '../../support/glmnet';
import { contoursOf, readNatural, writeRtstructWith } from '../../support/rtstructVariant';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { seededRandom } from '../../../src/signature/elasticNet';
import { csvLine, parseCsv } from '../../../src/signature/csv';
import { readLesionTable } from '../../../src/signature/lesionTable';
import { lesionScores, readSr } from '../../../src/report/srRead';
import { readPart10, type NaturalDataset } from '../../../src/dicom/part10';
import { SopClass } from '../../../src/dicom/uids';
import { decodePng, pdfText, renderWithDcmtk } from '../../support/pictures';
import type { StudyAnalysis } from '../../../src/results/types';

const DATA = join(SHARED, 'data');
const STUDIES = [
  { name: 'phantom', ct: join(DATA, 'ibsi-ct-phantom', 'dicom', 'image'), rtstruct: join(DATA, 'ibsi-ct-phantom', 'dicom', 'mask', 'DCM_RS_00060.dcm') },
  { name: 'STS_001', ct: join(DATA, 'sts', 'STS_001', 'CT', 'image'), rtstruct: join(DATA, 'sts', 'STS_001', 'CT', 'mask', 'RS.dcm') },
  { name: 'STS_002', ct: join(DATA, 'sts', 'STS_002', 'CT', 'image'), rtstruct: join(DATA, 'sts', 'STS_002', 'CT', 'mask', 'RS.dcm') },
];
const SCALES = [0.7, 0.85, 1.15];

/** The study's GTV contour scaled in-plane about its centre, as extra GTV ROIs. */
function writeVariants(source: string, target: string): void {
  const { ds } = readNatural(source);
  const gtv = (ds.StructureSetROISequence as NaturalDataset[]).find((r) => /GTV/i.test(String(r.ROIName)))!;
  const contours = contoursOf(ds, Number(gtv.ROINumber));
  const pts = contours.flat();
  const cx = pts.filter((_, i) => i % 3 === 0).reduce((a, b) => a + b, 0) / (pts.length / 3);
  const cy = pts.filter((_, i) => i % 3 === 1).reduce((a, b) => a + b, 0) / (pts.length / 3);
  writeRtstructWith(
    source,
    target,
    SCALES.map((s, k) => ({
      number: 900 + k,
      name: `GTV-variant-${s}`,
      type: 'GTV',
      contours: contours.map((c) => ({ type: 'CLOSED_PLANAR', points: c.map((v, i) => (i % 3 === 0 ? cx + s * (v - cx) : i % 3 === 1 ? cy + s * (v - cy) : v)) })),
    })),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'cd8-fitnode-'));
const batch = join(dir, 'batch');
const signature = join(dir, 'site-signature.json');
const design = join(dir, 'design.csv');
const lesionsFile = join(dir, 'lesions.csv');
const targetFile = join(dir, 'cd8.csv');

describe('signature fit on features exported by the node', () => {
  let report: FitReport;

  beforeAll(async () => {
    mkdirSync(batch);
    for (const s of STUDIES) {
      mkdirSync(join(batch, s.name));
      symlinkSync(s.ct, join(batch, s.name, 'CT'));
      writeVariants(s.rtstruct, join(batch, s.name, 'RS.dcm'));
    }
    const b = await runCli(['features', '--batch', batch], {}, { timeoutMs: 400000 });
    if (b.code !== 0) throw new Error(b.stderr);
    writeFileSync(lesionsFile, b.stdout);
    const rows = readLesionTable(parseCsv(b.stdout, 'batch'), 'batch');
    expect(rows).toHaveLength(12);
    // A synthetic ground truth from two real features (tumour mean HU, ring histogram entropy).
    const rnd = seededRandom(99);
    const target = rows.map((r) => 0.05 * r.features['tumour:stat_mean'] - 2 * r.features['ring:ih_entropy'] + 0.05 * (rnd() - 0.5));
    writeFileSync(targetFile, [csvLine(['lesion_id', 'cd8b']), ...rows.map((r, i) => csvLine([r.lesionId, target[i]]))].join('\n') + '\n');
    // Columns undefined in a lesion or constant over these 12 are left out, as the fit asks.
    const columns = Object.keys(rows[0].features);
    const unusable = columns.filter((c) => rows.some((r) => !Number.isFinite(r.features[c])) || rows.every((r) => r.features[c] === rows[0].features[c]));
    const f = await runCli(
      ['signature', 'fit', '--features', lesionsFile, '--target', targetFile, '--out', signature, '--alpha', '0.5', '--folds', '3', '--seed', '3', '--lambda', 'min', '--bootstrap', '10', '--design', design, '--json', ...(unusable.length > 0 ? ['--exclude', unusable.join(',')] : [])],
      {},
      { timeoutMs: 300000 },
    );
    if (f.code !== 0) throw new Error(f.stderr);
    report = JSON.parse(f.stdout);
  }, 720000);

  it('matches R glmnet with the same folds: λ path, lambda.min, selected terms and coefficients (1e-3 relative)', async () => {
    const R = await glmnetCv(design, 0.5, 'lambda.min', dir);
    expectSameAsGlmnet(report, R, 'lambda.min');
    expect(report.selected.some((t) => t.candidate.column.startsWith('tumour:') || t.candidate.column.startsWith('ring:'))).toBe(true);
  }, 200000);

  describe('the fitted signature in the node', () => {
    let pacs: DicomPeer;
    let hl7: Hl7Peer;
    let node: NodeProcess;
    afterAll(async () => {
      await Promise.all([node?.stop(), pacs?.stop(), hl7?.stop()]);
    });

    it('scores a study end to end (SR with score and hot/cold class, ORU, key image; the export of its features), and cd8-node score gives the same numbers and picture offline', async () => {
      // The signature and its settings copied elsewhere together, as a site installs them.
      const installed = join(dir, 'installed');
      mkdirSync(installed);
      copyFileSync(signature, join(installed, 'site-signature.json'));
      copyFileSync(join(dir, 'site-signature.radiomics.json'), join(installed, 'site-signature.radiomics.json'));
      const check = await runCli(['signature', 'check', join(installed, 'site-signature.json')], {}, { timeoutMs: 60000 });
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/\n {2}score -?[\d.e+-]+\n/);
      [pacs, hl7] = await Promise.all([startStorescp('PACS'), startHl7Peer()]);
      node = await startNodeProcess({ CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${hl7.port}`, CD8_SIGNATURE: join(installed, 'site-signature.json'), CD8_STABLE_AGE_S: '3' });
      const sts = STUDIES[1];
      const sent = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(node.port), '+sd', '+r', sts.ct, sts.rtstruct], { timeoutMs: 120000 });
      expect(sent.code).toBe(0);
      // Read once storescp has written it whole: the same size twice, and readable.
      let lastSize = -1;
      const sr = await waitFor(
        'the SR at storescp, written whole',
        () => {
          const f = readdirSync(pacs.dir).find((x) => x.startsWith('SR'));
          if (!f) return undefined;
          const bytes = readFileSync(join(pacs.dir, f));
          const stable = bytes.length === lastSize;
          lastSize = bytes.length;
          try {
            return stable ? readSr(bytes) : undefined;
          } catch {
            return undefined;
          }
        },
        180000,
        300,
      );
      const [fromSr] = lesionScores(sr);
      if (!fromSr) throw new Error(`no lesion in the SR; node log: ${node.logs().map((l) => l.message).join(' | ')}`);
      expect(fromSr.score).not.toBeNull();
      expect(fromSr.phenotype?.meaning).toMatch(/^(CD8-inflamed \(hot\)|Immune desert \(cold\))$/);
      const oru = await waitFor('the ORU acknowledged', () => hl7.received().find((m) => m.ack === 'AA'), 60000);
      expect(oru.message).toMatch(/Site-fitted signature/);

      const pictures = join(dir, 'pictures');
      const offline = await runCli(['score', '--ct', sts.ct, '--rtstruct', sts.rtstruct, '--signature', signature, '--json', '--pictures', pictures], {}, { timeoutMs: 150000 });
      expect(offline.code).toBe(0);
      const [lesion] = (JSON.parse(offline.stdout) as StudyAnalysis).lesions;
      expect(lesion.scoreStatus).toBe('scored');
      expect(Math.abs(lesion.score! - fromSr.score!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(lesion.score!)));
      expect(fromSr.phenotype?.meaning).toBe(lesion.classification === 'hot' ? 'CD8-inflamed (hot)' : 'Immune desert (cold)');
      expect(oru.message).toContain(`|${String(Number(lesion.score!.toPrecision(12)))}|`);

      // The research export from the running node's results: the lesion's row holds the features the node computed, under the fitted signature.
      const exported = await runCli(['export', 'features'], { CD8_DATA_DIR: node.dataDir, CD8_SIGNATURE: join(installed, 'site-signature.json') });
      expect(exported.code).toBe(0);
      const [row] = readLesionTable(parseCsv(exported.stdout, 'export'), 'export');
      expect(row).toMatchObject({ lesionId: lesion.trackingUid, trackingId: lesion.trackingId, signature: 'Site-fitted signature (cd8b) ' + JSON.parse(readFileSync(signature, 'utf8')).version });
      expect(row.patient).toMatch(/^[0-9a-f]{12}$/);
      for (const region of ['tumour', 'ring'] as const) {
        for (const [k, v] of Object.entries(lesion.features![region])) {
          const cell = row.features[`${region}:${k}`];
          if (Number.isFinite(v)) expect(Math.abs(cell - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
          else expect(Number.isNaN(cell)).toBe(true);
        }
      }

      // The pictures: the node's key image of the lesion (Secondary Capture at the PACS, rendered
      // by DCMTK) is the picture cd8-node score draws offline, pixel for pixel; the PDF states the score and class.
      const keyImage = await waitFor(
        "the lesion's key image at storescp",
        () =>
          readdirSync(pacs.dir).flatMap((f) => {
            try {
              const ds = readPart10(readFileSync(join(pacs.dir, f))).dataset;
              return ds.SOPClassUID === SopClass.SecondaryCaptureImageStorage && ds.SourceImageSequence ? [readFileSync(join(pacs.dir, f))] : [];
            } catch {
              return []; // still being written
            }
          })[0],
        120000,
        500,
      );
      const [atPacs, drawn] = await Promise.all([renderWithDcmtk(keyImage), decodePng(readFileSync(join(pictures, 'lesion-1.png')))]);
      expect([atPacs.width, atPacs.height]).toEqual([drawn.width, drawn.height]);
      let differing = 0;
      for (let y = 0; y < drawn.height; y++) for (let x = 0; x < drawn.width; x++) if (atPacs.at(x, y).some((v, i) => v !== drawn.at(x, y)[i])) differing++;
      expect(differing).toBe(0);
      const pdf = (await pdfText(readFileSync(join(pictures, 'report.pdf')))).replace(/\s+/g, ' ');
      expect(pdf).toMatch(new RegExp(`CD8 score -?[\\d.]+ [≥<] cut-off -?[\\d.]+ \\(.*\\): ${lesion.classification}`));
      expect(pdf).toContain(`Class: ${lesion.classification === 'hot' ? 'HOT' : 'COLD'}`);
    }, 400000);
  });
});
