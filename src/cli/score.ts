import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from './command';
import { parseOfflineCommand, studyCommandInputs, unusableStudyMessage } from './studyFiles';
import { loadScoringSetup, SetupError } from '../pipeline/setup';
import { analyseStudyFiles } from '../pipeline/analyseFiles';
import { renderStudyPictures } from '../report/pictures';
import { ImagingError } from '../imaging/load';
import { buildSr } from '../report/srDocument';
import type { LesionResult, ScoreStatistics, SignatureTerm, StudyAnalysis } from '../results/types';
import { significant } from '../ops/format';

export const scoreCommand: Command = {
  words: ['score'],
  summary: 'compute the CD8 radiomic score of every lesion of a CT + RTSTRUCT, offline',
  help: `Usage: cd8-node score --ct DIR --rtstruct FILE [--json] [--sr OUT.dcm]
                      [--pictures DIR] [--signature FILE] [--config FILE] [--series UID]

Runs the node's pipeline on files, without a PACS: for each lesion of the
RTSTRUCT, its site, volume, the IBSI features of the tumour and of its
peritumoral ring, the signature's terms (value, coefficient, contribution),
the CD8 score and hot/cold class (or why there is none), the quality flags;
then the patient summary. While the signature has pending values the score is
"not available: signature incomplete" and every feature is still printed.

Exit 0 when the study could be analysed (scored or not), 1 when it cannot be
used (the reasons are printed), 2 on wrong arguments.

Options:
  --ct DIR           Directory with the CT slices (or a single file)
  --rtstruct FILE    The RT Structure Set with the lesion contours
  --json             Print the whole result as JSON (as sent to the SR and ORU)
  --sr OUT.dcm       Also write the DICOM SR (Comprehensive 3D SR, TID 1500)
  --pictures DIR     Also write the pictures the node sends: each lesion's key
                     image (lesion-<n>.png, n from 1), the summary page
                     (summary.png) and the PDF report (report.pdf)
  --signature FILE   Signature file (default: score.signature of the configuration)
  --config FILE      Configuration (default: $CD8_CONFIG, else the defaults)
  --series UID       Use this CT series when the RTSTRUCT does not say which

Example:
  cd8-node score --ct study/CT --rtstruct study/RS.dcm --sr cd8-sr.dcm --pictures cd8-pictures`,
  async run(args, io) {
    const values = parseOfflineCommand(scoreCommand, args, io, {
      ct: { type: 'string' },
      rtstruct: { type: 'string' },
      json: { type: 'boolean' },
      sr: { type: 'string' },
      pictures: { type: 'string' },
      signature: { type: 'string' },
      config: { type: 'string', short: 'c' },
      series: { type: 'string' },
    });
    if (typeof values === 'number') return values;
    const inputs = studyCommandInputs(values, io, 'cd8-node score');
    if (typeof inputs === 'number') return inputs;
    const { files, config } = inputs;
    let setup;
    try {
      setup = loadScoringSetup(config, values.signature);
    } catch (e) {
      if (e instanceof SetupError) {
        io.err(`cd8-node score: ${e.message}`);
        return 1;
      }
      throw e;
    }
    let analysis;
    let keySlices;
    try {
      ({ analysis, keySlices } = await analyseStudyFiles(files.ct, files.rtstruct, config, setup, {
        version: 1,
        cohortScores: [],
        analysedAt: new Date().toISOString(),
        ...(values.series ? { seriesInstanceUid: values.series } : {}),
      }));
    } catch (e) {
      // Nothing could be read at all (e.g. a wrong --ct path): there is no study to report on.
      if (!(e instanceof ImagingError)) throw e;
      io.err(unusableStudyMessage('cd8-node score', e));
      return 1;
    }
    if (values.sr) {
      const sr = buildSr(analysis, {
        seriesNumber: config.report.seriesNumber,
        seriesDescription: config.report.seriesDescription,
        institutionName: config.report.institutionName,
      });
      writeFileSync(values.sr, sr.bytes);
    }
    const written: string[] = [];
    if (values.pictures) {
      const pictures = await renderStudyPictures(analysis, keySlices, { ...config.report.pictures, ringOuterMm: setup.radiomics.ring.outerMm }, true);
      mkdirSync(values.pictures, { recursive: true });
      const write = (name: string, bytes: Uint8Array) => {
        writeFileSync(join(values.pictures!, name), bytes);
        written.push(name);
      };
      for (const p of pictures.lesions) write(`lesion-${p.lesionIndex + 1}.png`, p.png);
      write('summary.png', pictures.summary.png);
      if (pictures.pdf) write('report.pdf', pictures.pdf);
    }
    io.out(values.json ? JSON.stringify(analysis, null, 2) : analysisText(analysis, values.sr));
    // The JSON stays parseable on stdout; where the pictures went goes to stderr.
    if (written.length > 0) io.err(`pictures written to ${values.pictures}: ${written.join(', ')}`);
    return analysis.evidence === null ? 1 : 0;
  },
};

const fmt = (v: number | null | undefined, digits = 4): string => significant(v, digits, { integers: true });

function termLine(t: SignatureTerm): string {
  const where = t.region ? ` (${t.region})` : '';
  const source = t.source ? `  [${t.source}]` : '';
  return `    ${t.kind.padEnd(9)} ${`${t.name}${where}`.padEnd(44)} value ${fmt(t.value).padStart(10)}  × ${fmt(t.coefficient).padStart(9)}  = ${fmt(t.contribution).padStart(9)}${source}`;
}

function featureTable(l: LesionResult): string[] {
  if (!l.features) return [];
  const keys = [...new Set([...Object.keys(l.features.tumour), ...Object.keys(l.features.ring)])].sort();
  const width = Math.max(...keys.map((k) => k.length));
  return [
    `  features (${keys.length}; IBSI tag, texture aggregation in brackets):`,
    `    ${'feature'.padEnd(width)}  ${'tumour'.padStart(12)}  ${'ring'.padStart(12)}`,
    ...keys.map((k) => `    ${k.padEnd(width)}  ${fmt(l.features!.tumour[k], 6).padStart(12)}  ${fmt(l.features!.ring[k], 6).padStart(12)}`),
  ];
}

function lesionText(l: LesionResult): string[] {
  const score =
    l.scoreStatus === 'scored' ? `CD8 score ${fmt(l.score)}${l.classification ? ` → ${l.classification}` : ' (no hot/cold class: no cut-off yet)'}` : `CD8 score ${/^not available/.test(l.reason ?? '') ? '' : 'not available: '}${l.reason ?? l.scoreStatus}`;
  return [
    `Lesion ${l.trackingId}: site ${l.site} (${l.siteSource}), ${l.volumeMl.toFixed(2)} ml, ${l.voxelCount} voxels`,
    `  ${score}`,
    ...(l.flags.length > 0 ? ['  flags:', ...l.flags.map((f) => `    [${f.action}] ${f.code}: ${f.message}`)] : ['  flags: none']),
    '  signature terms:',
    ...l.terms.map(termLine),
    ...featureTable(l),
  ];
}

function statsLine(label: string, s: ScoreStatistics): string {
  if (s.count === 0) return `  ${label}: no scored lesion`;
  return `  ${label}: n ${s.count}, mean ${fmt(s.mean)}, median ${fmt(s.median)}, min ${fmt(s.min)} (least infiltrated), max ${fmt(s.max)}, SD ${fmt(s.sd)}, range ${fmt(s.range)}, IQR ${fmt(s.iqr)}, CV ${fmt(s.coefficientOfVariation)}, entropy ${fmt(s.entropy)} bits, hot ${s.fractionHot === null ? '–' : `${(s.fractionHot * 100).toFixed(0)} %`}`;
}

export function analysisText(a: StudyAnalysis, srFile?: string): string {
  const sig = a.signature;
  const lines = [
    `Study ${a.study.studyInstanceUid} (version ${a.study.version}), patient ${a.patient.patientId || '(no ID)'}`,
    `Signature: ${sig.name} ${sig.version}${sig.complete ? '' : ' — INCOMPLETE: values pending verification, no score is given'}`,
    `Cut-off: ${sig.threshold.value === null ? 'none' : fmt(sig.threshold.value)} — ${sig.threshold.provenance}`,
    ...(a.evidence ? [`CT series ${a.evidence.ct.seriesInstanceUid}: ${a.evidence.ct.modality}, KVP ${a.evidence.ct.kvp ?? 'missing'}, slice thickness ${a.evidence.ct.sliceThicknessMm ?? '?'} mm`] : []),
    ...a.problems.map((p) => `Problem [${p.code}]: ${p.message}`),
    '',
  ];
  for (const l of a.lesions) lines.push(...lesionText(l), '');
  lines.push(`Patient summary (${a.summary.lesionCount} lesion${a.summary.lesionCount === 1 ? '' : 's'}, ${a.summary.count} scored):`);
  lines.push(statsLine('all lesions', a.summary));
  for (const [site, s] of Object.entries(a.summary.perSite)) lines.push(statsLine(site, s));
  lines.push('The CD8 radiomic score is a research biomarker, not a diagnosis.');
  if (srFile) lines.push(`SR written to ${srFile}`);
  return lines.join('\n');
}
