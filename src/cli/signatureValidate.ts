import { writeFileSync } from 'node:fs';
import { errorText } from '../ops/errorText';
import { Command, UsageError } from './command';
import { parseOfflineCommand } from './studyFiles';
import { commandConfig } from './commandConfig';
import { formatIssues } from '../config/load';
import { loadSignatureFile } from '../config/signatureFile';
import { INPUT_ERRORS, outputProblem, readInputs } from './signatureFit';
import { Agreement, validateSignature, ValidateError } from '../signature/validate';
import { validationPlot } from '../signature/plot';
import { formatEstimate, formatNumber } from '../signature/format';


function agreementLines(label: string, a: Agreement): string[] {
  return [
    `${label}: ${a.n} lesions; Spearman ρ ${formatEstimate(a.spearman)}; AUC ${formatEstimate(a.auc)} for target ≥ ${formatNumber(a.targetMedian)} (median)`,
    `  calibration (lesions in ${a.calibration.length} groups by score): group, n, score range, mean score, mean target`,
    ...a.calibration.map((r) => `    ${r.group}  ${String(r.n).padStart(4)}  ${formatNumber(r.scoreLow).padStart(10)} … ${formatNumber(r.scoreHigh).padEnd(10)}  ${formatNumber(r.meanScore).padStart(10)}  ${formatNumber(r.meanTarget).padStart(10)}`),
  ];
}

export const signatureValidateCommand: Command = {
  words: ['signature', 'validate'],
  summary: 'check a signature on a cohort with ground truth: Spearman, AUC, calibration, per site, a plot',
  help: `Usage: cd8-node signature validate --signature FILE --features lesions.csv --target cd8.csv
         [--plot score-vs-target.png] [--groups 5] [--config FILE] [--json]

Scores every lesion of the features file (the CSV of "cd8-node export
features" or "features --batch") with the signature, and compares the scores
with the ground truth of the target file (lesion_id, then one numeric column):
Spearman correlation and the AUC for a median split of the target, each with
its 95 % confidence interval, a calibration table (lesions in groups by score:
mean score and mean target), overall and per site (sites with at least 4
lesions). --plot writes a PNG of score against target.

Options:
  --plot FILE    write the score-against-target plot (PNG)
  --groups N     calibration groups (default 5)
  --json         print the result as JSON`,
  async run(args, io) {
    const values = parseOfflineCommand(signatureValidateCommand, args, io, {
      signature: { type: 'string' },
      features: { type: 'string' },
      target: { type: 'string' },
      plot: { type: 'string' },
      groups: { type: 'string' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    });
    if (typeof values === 'number') return values;
    if (!values.signature) throw new UsageError('--signature FILE is required.');
    if (!values.features) throw new UsageError('--features FILE is required (the CSV of "cd8-node export features").');
    if (!values.target) throw new UsageError('--target FILE is required (lesion_id, then one numeric column).');
    const groups = values.groups === undefined ? 5 : Number(values.groups);
    if (!Number.isInteger(groups) || groups < 2 || groups > 20) throw new UsageError(`--groups must be a whole number from 2 to 20, not "${values.groups}".`);
    const unwritable = values.plot === undefined ? undefined : outputProblem('--plot', values.plot);
    if (unwritable) {
      io.err(`cd8-node signature validate: ${unwritable}`);
      return 1;
    }
    const loaded = commandConfig(values.config, io, 'cd8-node signature validate');
    if (!loaded) return 1;
    const sig = loadSignatureFile(values.signature);
    if (!sig.signature) {
      io.err(formatIssues(sig.issues));
      io.err(`cd8-node signature validate: ${values.signature} cannot be used (see above).`);
      return 1;
    }
    try {
      const inputs = readInputs(values.features, values.target);
      const v = validateSignature(sig.signature, inputs.lesions, inputs.target, { defaultKvp: loaded.config.score.defaultKvp, groups, featuresFile: values.features, targetFile: values.target });
      if (values.plot) writeFileSync(values.plot, validationPlot(v, { signature: `${sig.signature.name} ${sig.signature.version}`, target: inputs.targetName }));
      if (values.json) {
        io.out(JSON.stringify({ signature: { name: sig.signature.name, version: sig.signature.version, origin: sig.signature.origin }, target: inputs.targetName, ...v }, null, 2));
        return 0;
      }
      const sites = [...new Set(v.points.map((p) => p.site))].sort();
      const lines = [
        `Signature ${sig.signature.name} ${sig.signature.version} (${sig.signature.origin}) on ${values.features}; target ${inputs.targetName} from ${values.target}`,
        `${v.points.length} lesions of ${v.patients} patient${v.patients === 1 ? '' : 's'} scored; ${v.leftOutWithoutTarget} without a target left out; ${v.notScored.length} could not be scored${v.notScored.length > 0 ? ` (e.g. ${v.notScored[0].lesionId}: ${v.notScored[0].reason})` : ''}.`,
        ...(v.patients < v.points.length ? [`Lesions of one patient are not independent: the confidence intervals below, which assume they are, are too narrow.`] : []),
        ...(v.threshold !== null ? [`Hot/cold at score ≥ ${formatNumber(v.threshold)}: ${v.points.filter((p) => p.classification === 'hot').length} hot, ${v.points.filter((p) => p.classification === 'cold').length} cold.`] : []),
        '',
        ...agreementLines('All lesions', v.overall),
        ...sites.flatMap((s) => {
          const a = v.perSite[s];
          return a ? ['', ...agreementLines(`Site ${s}`, a)] : ['', `Site ${s}: ${v.points.filter((p) => p.site === s).length} lesions, too few for a correlation or an AUC (needs 4).`];
        }),
        ...(values.plot ? ['', `Plot written to ${values.plot}`] : []),
      ];
      io.out(lines.join('\n'));
      return 0;
    } catch (e) {
      if (e instanceof ValidateError || INPUT_ERRORS.some((k) => e instanceof k)) {
        io.err(`cd8-node signature validate: ${errorText(e)}`);
        return 1;
      }
      throw e;
    }
  },
};
