import { Command } from './command';
import { parseCommandArgs } from './parse';
import { formatIssues } from '../config/load';
import { loadSignatureFile } from '../config/signatureFile';
import { loadRadiomicsSettings } from '../radiomics';
import { covariateLines, evaluateOnPhantom, evaluationLines, PHANTOM, pendingLines, termResolutionLines } from '../signature/check';
import { formatNumber } from '../signature/format';
import { studyCommandInputs, unusableStudyMessage } from './studyFiles';
import { analyseStudyFiles } from '../pipeline/analyseFiles';
import { loadScoringSetup } from '../pipeline/setup';
import { ImagingError } from '../imaging/load';

export const signatureCheckCommand: Command = {
  words: ['signature', 'check'],
  summary: 'explain a signature file: how each term resolves, what is pending, its value on a phantom',
  help: `Usage: cd8-node signature check FILE [--ct DIR --rtstruct FILE] [--config FILE]

Reads the signature FILE and prints:
  - how each term's feature name was resolved (as written → IBSI tag, code and
    name, aggregation, region), whether it was given as an IBSI tag, an IBSI
    code, an IBSI name or a LIFEx name (e.g. GLCM_Entropy_log10, GLZLM_SZE,
    NGLDM_Busyness, CONVENTIONAL_HUmean), with the LIFEx documentation it
    rests on;
  - the covariates, intercept and cut-off;
  - what is still pending;
  - every term evaluated on a built-in phantom (a ${PHANTOM.volumeMl} ml CT-like lesion
    of ~60 HU, liver, ${PHANTOM.kvp} kV) with the signature's own radiomics settings:
    an absurd value or score points at a wrong name, region or coefficient;
    with --ct and --rtstruct, on every lesion of that study instead (e.g. the
    IBSI CT phantom), as the node would compute it.

Unknown or ambiguous names, and LIFEx names with no IBSI equivalent, are
errors that give the term's position (terms[N].feature).
Exit 0 when the file is valid (pending values allowed), 1 on errors.

Example:
  cd8-node signature check my-signature.json`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ct: { type: 'string' }, rtstruct: { type: 'string' }, config: { type: 'string', short: 'c' } }, { min: 1, max: 1 });
    if (values.help) {
      io.out(signatureCheckCommand.help);
      return 0;
    }
    const loaded = loadSignatureFile(positionals[0]);
    const errors = loaded.issues.filter((i) => i.severity === 'error');
    const sig = loaded.signature;
    io.out(`Signature file ${loaded.path}`);
    if (!sig) {
      io.err(formatIssues(loaded.issues));
      io.err(`${positionals[0]}: ${errors.length} error${errors.length === 1 ? '' : 's'}. Fix them; the node will not start with this signature.`);
      return 1;
    }
    io.out(`${sig.name} (id ${sig.id}, version ${sig.version})`);
    io.out(`Citation: ${sig.citation}`);
    io.out(`Radiomics settings: ${loaded.radiomicsSettingsPath} [${sig.preprocessing.status}]`);
    io.out('');
    io.out(`Terms (${sig.terms.length}): name as written → IBSI feature, aggregation, region`);
    io.out(termResolutionLines(sig).join('\n'));
    io.out(`Covariates (${sig.covariates.length}):`);
    if (sig.covariates.length > 0) io.out(covariateLines(sig).join('\n'));
    io.out(`Intercept: ${formatNumber(sig.intercept.value)} [${sig.intercept.status}]`);
    const t = sig.threshold;
    io.out(`Cut-off: ${t.mode === 'absolute' ? `score ≥ ${formatNumber(t.value)}` : `${t.percentile}th percentile of this node's scored lesions (from ${t.minCohort})`} — ${t.provenance}`);
    io.out('Pending:');
    io.out(pendingLines(sig).join('\n'));
    io.out('');
    if (values.ct !== undefined || values.rtstruct !== undefined) {
      const inputs = studyCommandInputs(values, io, 'cd8-node signature check');
      if (typeof inputs === 'number') return inputs;
      const { files, config } = inputs;
      let analysis;
      try {
        ({ analysis } = await analyseStudyFiles(files.ct, files.rtstruct, config, loadScoringSetup(config, positionals[0]), { version: 1, cohortScores: [], analysedAt: new Date().toISOString() }));
      } catch (e) {
        if (!(e instanceof ImagingError)) throw e;
        io.err(unusableStudyMessage('cd8-node signature check', e));
        return 1;
      }
      for (const l of analysis.lesions) {
        io.out(`On lesion ${l.trackingId} of ${files.rtstruct} (${l.site}, ${l.volumeMl.toFixed(2)} ml): value × coefficient = contribution`);
        io.out(evaluationLines({ terms: l.terms, score: l.score, status: l.scoreStatus === 'scored' ? 'scored' : 'failed', reason: l.reason }).join('\n'));
      }
      if (analysis.lesions.length === 0) io.out(`No lesion in ${files.rtstruct}: ${analysis.problems.map((p) => p.message).join(' ')}`);
    } else {
      io.out(`On the phantom (${PHANTOM.volumeMl} ml synthetic CT lesion, site ${PHANTOM.site}, ${PHANTOM.kvp} kV): value × coefficient = contribution`);
      io.out(evaluationLines(evaluateOnPhantom(sig, loadRadiomicsSettings(loaded.radiomicsSettingsPath!))).join('\n'));
    }
    const warnings = loaded.issues.filter((i) => i.severity === 'warning');
    if (warnings.length > 0) {
      io.out('');
      io.out(formatIssues(warnings));
    }
    io.out(`${positionals[0]}: valid${warnings.length > 0 ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''}.`);
    return 0;
  },
};
