import { createHash } from 'node:crypto';
import { errorText } from '../ops/errorText';
import { accessSync, constants, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, CommandIo, UsageError } from './command';
import { parseOfflineCommand } from './studyFiles';
import { commandConfig } from './commandConfig';
import { loadSignatureFile } from '../config/signatureFile';
import { parseSignature } from '../cd8/signatureSchema';
import { CsvError, csvLine, parseCsv } from '../signature/csv';
import { LesionRow, LesionTableError, readLesionTable } from '../signature/lesionTable';
import { readTargetTable, TargetError } from '../signature/targetTable';
import { FitError, FitOptions, FitResult, fitSignature, fittedSignature } from '../signature/fit';
import { formatEstimate, formatNumber } from '../signature/format';
import { signatureKey } from '../results/resultStore';

/** Reads the two input files of fit and validate; a message says what is wrong with them. */
export function readInputs(featuresFile: string, targetFile: string): { lesions: LesionRow[]; target: Map<string, number | null>; targetName: string; hash: string } {
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new CsvError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorText(e)}.`);
    }
  };
  const f = read(featuresFile);
  const t = read(targetFile);
  const lesions = readLesionTable(parseCsv(f.toString('utf8'), featuresFile), featuresFile);
  const target = readTargetTable(parseCsv(t.toString('utf8'), targetFile), targetFile);
  const hash = createHash('sha256').update(f).update(t).digest('hex');
  return { lesions, target: target.values, targetName: target.name, hash };
}

export const INPUT_ERRORS = [CsvError, LesionTableError, TargetError, FitError];

/** Why an output file named by `option` cannot be written, checked before a long computation; undefined when it can. */
export function outputProblem(option: string, file: string): string | undefined {
  const folder = dirname(resolve(file));
  if (!existsSync(folder)) return `${option} ${file}: the folder ${folder} does not exist; create it or name another file.`;
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return `${option} ${file}: the folder ${folder} is not writable by this user; name another file.`;
  }
  return undefined;
}

function fitReport(fit: FitResult, opts: FitOptions, targetName: string, out: string): string {
  const lines = [
    `Fit of ${targetName} on ${fit.lesionIds.length} lesions of ${fit.patients} patients (${fit.leftOutWithoutTarget} lesion${fit.leftOutWithoutTarget === 1 ? '' : 's'} of the features file without a target left out).`,
    `Candidates: ${fit.candidates.length} (tumour and ring features, site indicators, kVp)${fit.constantCovariates.length > 0 ? `; constant here, left out: ${fit.constantCovariates.join(', ')}` : ''}.`,
    `Elastic net: alpha ${opts.alpha}, ${opts.folds}-fold cross-validation by patient (seed ${opts.seed}), ${fit.pathLength} λ values; lambda.min ${formatNumber(fit.lambdaMin)}, lambda.1se ${formatNumber(fit.lambda1se)}; chosen ${opts.rule} = ${formatNumber(fit.lambda)}.`,
    `Cross-validated MSE ${formatNumber(fit.cvMse)}, R² ${formatNumber(fit.cvR2)}; AUC for ${targetName} ≥ its median (${formatNumber(fit.targetMedian)}) ${formatEstimate(fit.cvAuc)}, from out-of-fold scores.`,
    '',
    `Selected terms (${fit.selected.length}): coefficient, bootstrap selection frequency (${opts.bootstrap} resamples of patients)`,
    ...fit.selected.map((t) => `  ${t.candidate.column.padEnd(44)} ${formatNumber(t.coefficient, 6).padStart(14)}  ${Number.isNaN(t.selectionFrequency) ? '–' : `${Math.round(t.selectionFrequency * 100)} %`}`),
    `  ${'intercept'.padEnd(44)} ${formatNumber(fit.intercept, 6).padStart(14)}`,
    '',
    `Signature written to ${out} (origin site-fitted; check it with "cd8-node signature check ${out}"), its radiomics settings beside it in ${out.replace(/\.json$/i, '')}.radiomics.json: keep the two files together.`,
  ];
  return lines.join('\n');
}

export const signatureFitCommand: Command = {
  words: ['signature', 'fit'],
  summary: "fit a site's own signature by elastic net (as glmnet) on exported features and a ground truth",
  help: `Usage: cd8-node signature fit --features lesions.csv --target cd8.csv --out my-signature.json
         [--alpha 0.5] [--folds 10] [--seed N] [--lambda 1se|min] [--bootstrap 100]
         [--exclude COLUMNS] [--radiomics-settings FILE] [--config FILE] [--json]

Fits a linear signature the way the 2018 CD8 study did: elastic-net regression
of the ground truth on every feature of the tumour and of its ring, site
indicators and kVp, with λ chosen by k-fold cross-validation over patients
(R glmnet's conventions: standardised inputs, 100-λ path, lambda.min or
lambda.1se). Writes a complete signature file (origin site-fitted, provenance:
data hash, date, settings, CV error, chosen λ) and prints a report: selected
terms and coefficients, cross-validated R², the AUC (95 % CI) of the
out-of-fold score for a median split of the target, and how often each term is
selected over bootstrap resamples.

Inputs:
  --features FILE   the CSV of "cd8-node export features" or "features --batch"
  --target FILE     CSV: lesion_id (as in the export), then one numeric column
                    (e.g. CD8B expression); an empty cell leaves that lesion out
Options:
  --out FILE        the signature file to write; the radiomics settings are
                    copied beside it (FILE without .json + ".radiomics.json"):
                    keep the two files together
  --alpha A         elastic-net mixing, 0 (ridge) … 1 (lasso); default 0.5
  --folds K         cross-validation folds (≥ 3; lesions of a patient stay together); default 10
  --seed N          seed of the fold assignment and bootstrap; default 1
  --lambda R        1se (default, glmnet's choice) or min
  --bootstrap B     resamples for the selection frequency; default 100 (0 = none)
  --exclude COLS    comma-separated columns to leave out (patterns with *, e.g. "ring:morph_*")
  --radiomics-settings FILE  settings the features were computed with (default: those of
                    the configured signature, as the node and "features --batch" use)
  --json            print the report as JSON
  --design FILE     also write the design the fit used (lesion_id, fold, target, every
                    candidate column) as CSV, to reproduce the fit elsewhere (e.g. R glmnet
                    with foldid = the fold column)

Refuses, saying why: fewer patients than folds, constant columns, missing
values, lesion IDs of the target that are not in the features file.`,
  async run(args, io) {
    const values = parseOfflineCommand(signatureFitCommand, args, io, {
      features: { type: 'string' },
      target: { type: 'string' },
      out: { type: 'string' },
      alpha: { type: 'string' },
      folds: { type: 'string' },
      seed: { type: 'string' },
      lambda: { type: 'string' },
      bootstrap: { type: 'string' },
      exclude: { type: 'string' },
      'radiomics-settings': { type: 'string' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      design: { type: 'string' },
    });
    if (typeof values === 'number') return values;
    if (!values.features) throw new UsageError('--features FILE is required (the CSV of "cd8-node export features").');
    if (!values.target) throw new UsageError('--target FILE is required (lesion_id, then one numeric column).');
    if (!values.out) throw new UsageError('--out FILE is required (the signature file to write).');
    const number = (name: string, v: string | undefined, def: number, ok: (x: number) => boolean, what: string) => {
      if (v === undefined) return def;
      const x = Number(v);
      if (!Number.isFinite(x) || !ok(x)) throw new UsageError(`--${name} must be ${what}, not "${v}".`);
      return x;
    };
    const rule = values.lambda === undefined || values.lambda === '1se' ? 'lambda.1se' : values.lambda === 'min' ? 'lambda.min' : undefined;
    if (!rule) throw new UsageError(`--lambda must be 1se or min, not "${values.lambda}".`);
    const unwritable = [['--out', values.out] as const, ['--design', values.design] as const].flatMap(([o, f]) => (f === undefined ? [] : [outputProblem(o, f)])).find((p) => p !== undefined);
    if (unwritable) {
      io.err(`cd8-node signature fit: ${unwritable}`);
      return 1;
    }
    const loaded = commandConfig(values.config, io, 'cd8-node signature fit');
    if (!loaded) return 1;
    const opts: FitOptions = {
      alpha: number('alpha', values.alpha, 0.5, (x) => x >= 0 && x <= 1, 'between 0 and 1'),
      folds: number('folds', values.folds, 10, (x) => Number.isInteger(x) && x >= 3, 'a whole number ≥ 3'),
      seed: number('seed', values.seed, 1, (x) => Number.isInteger(x) && x >= 0, 'a whole number ≥ 0'),
      rule,
      bootstrap: number('bootstrap', values.bootstrap, 100, (x) => Number.isInteger(x) && x >= 0 && x <= 10000, 'a whole number from 0 to 10000'),
      exclude: values.exclude ? values.exclude.split(',').map((x) => x.trim()).filter(Boolean) : [],
      defaultKvp: loaded.config.score.defaultKvp,
    };
    let settings: FitSettings = { path: values['radiomics-settings'] ?? '' };
    if (!settings.path) {
      const sig = loadSignatureFile(loaded.config.score.signature);
      if (!sig.signature || !sig.radiomicsSettingsPath) {
        io.err(`cd8-node signature fit: the configured signature gives no usable radiomics settings; name them with --radiomics-settings FILE.`);
        return 1;
      }
      settings = { path: sig.radiomicsSettingsPath, ofSignature: signatureKey(sig.signature) };
    }
    return runFit(values.features, values.target, values.out, { ...settings, path: resolve(settings.path) }, opts, { json: values.json === true, design: values.design }, io);
  },
};

/** The radiomics settings the fitted signature will name; `ofSignature` when they are the configured signature's. */
interface FitSettings {
  path: string;
  ofSignature?: string;
}

async function runFit(featuresFile: string, targetFile: string, out: string, radiomics: FitSettings, opts: FitOptions, output: { json: boolean; design?: string }, io: CommandIo): Promise<number> {
  const settingsPath = radiomics.path;
  try {
    const inputs = readInputs(featuresFile, targetFile);
    const fit = fitSignature({ lesions: inputs.lesions, target: inputs.target, featuresFile, targetFile }, opts);
    if (radiomics.ofSignature !== undefined && radiomics.ofSignature !== fit.featuresSignature) {
      throw new FitError(
        `the features were computed under the signature "${fit.featuresSignature}" (its radiomics settings), but the configured signature is "${radiomics.ofSignature}": the fitted signature would name settings that did not make its features. Give --radiomics-settings FILE with the settings of "${fit.featuresSignature}", or fit with the configuration that analysed these lesions (--config).`,
      );
    }
    if (!fit.selected.some((t) => t.candidate.kind === 'feature')) {
      throw new FitError(`no radiomic feature is selected at ${opts.rule} (λ ${formatNumber(fit.lambda)}): a signature needs at least one. The ground truth may not be predictable from these features; try --lambda min or more lesions.`);
    }
    // The settings the features were computed with travel beside the signature, frozen: the pair
    // can be copied anywhere, and a later edit of the node's settings cannot change the fitted terms.
    const settingsCopy = join(dirname(resolve(out)), `${basename(out).replace(/\.json$/i, '')}.radiomics.json`);
    const fittedAt = new Date().toISOString();
    const settings = `alpha ${opts.alpha}; ${opts.folds} folds by patient, seed ${opts.seed}; ${opts.rule}; nlambda 100, lambda.min.ratio ${fit.lesionIds.length < fit.candidates.length ? 0.01 : 0.0001}, thresh 1e-7, standardised inputs; bootstrap ${opts.bootstrap}${opts.exclude.length > 0 ? `; excluded ${opts.exclude.join(', ')}` : ''}; kVp ${opts.defaultKvp} where missing`;
    const sig = fittedSignature(fit, opts, {
      id: basename(out).replace(/\.json$/i, ''),
      name: `Site-fitted signature (${inputs.targetName})`,
      radiomicsSettings: basename(settingsCopy),
      fittedAt,
      dataHash: `sha256:${inputs.hash}`,
      settings,
      note: `features ${basename(featuresFile)}, target ${basename(targetFile)} (${inputs.targetName})`,
    }, inputs.lesions);
    // What is written must be what the node accepts.
    const check = parseSignature(JSON.parse(JSON.stringify(sig)));
    const errors = check.issues.filter((i) => i.severity === 'error');
    if (errors.length > 0) throw new Error(`the fitted signature does not validate: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    if (resolve(settingsPath) !== settingsCopy) copyFileSync(settingsPath, settingsCopy);
    writeFileSync(out, JSON.stringify(sig, null, 2) + '\n');
    if (output.design) {
      const rows = fit.lesionIds.map((id, i) => csvLine([id, fit.foldid[i], fit.y[i], ...fit.x.map((col) => col[i])]));
      writeFileSync(output.design, [csvLine(['lesion_id', 'fold', 'target', ...fit.candidates.map((c) => c.column)]), ...rows].join('\n') + '\n');
    }
    if (output.json) {
      io.out(JSON.stringify({ ...fit, x: undefined, y: undefined, signature: out, settings }, null, 2));
    } else io.out(fitReport(fit, opts, inputs.targetName, out));
    return 0;
  } catch (e) {
    if (INPUT_ERRORS.some((k) => e instanceof k)) {
      io.err(`cd8-node signature fit: ${errorText(e)}`);
      return 1;
    }
    throw e;
  }
}
