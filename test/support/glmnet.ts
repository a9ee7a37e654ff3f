/**
 * R glmnet (Debian r-cran-glmnet) run on a design file written by `cd8-node signature fit
 * --design`, with the folds the node used: the reference the fit is compared with.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './process';

export interface GlmnetResult {
  lambda: number[];
  lambdaMin: number;
  lambda1se: number;
  /** Coefficients at the chosen λ: intercept first, then the design's columns in order. */
  coef: number[];
  columns: string[];
}

export async function glmnetCv(design: string, alpha: number, rule: 'lambda.min' | 'lambda.1se', dir: string): Promise<GlmnetResult> {
  const script = join(dir, 'cv.R');
  writeFileSync(
    script,
    `suppressMessages(library(glmnet))
d <- read.csv(${JSON.stringify(design)}, check.names = FALSE)
x <- as.matrix(d[, -(1:3), drop = FALSE])
cv <- cv.glmnet(x, d$target, alpha = ${alpha}, foldid = d$fold)
f <- function(v) paste(sprintf('%.17g', v), collapse = ' ')
cat('lambda', f(cv$lambda), '\\n')
cat('lambda.min', f(cv$lambda.min), '\\n')
cat('lambda.1se', f(cv$lambda.1se), '\\n')
cat('coef', f(as.vector(coef(cv, s = '${rule}'))), '\\n')
cat('columns', paste(colnames(x), collapse = '\\t'), '\\n')
`,
  );
  const r = await run('Rscript', [script], { timeoutMs: 180000 });
  if (r.code !== 0) throw new Error(`Rscript failed: ${r.stderr}`);
  const line = (key: string) => new RegExp(`^${key.replace('.', '\\.')} (.*) $`, 'm').exec(r.stdout)![1];
  const nums = (key: string) => line(key).split(' ').map(Number);
  return { lambda: nums('lambda'), lambdaMin: nums('lambda.min')[0], lambda1se: nums('lambda.1se')[0], coef: nums('coef'), columns: line('columns').split('\t') };
}

/** What `signature fit --json` reports that is compared with glmnet. */
export interface FitReport {
  lambda: number;
  lambdaMin: number;
  lambda1se: number;
  intercept: number;
  pathLength: number;
  selected: Array<{ candidate: { column: string }; coefficient: number; selectionFrequency: number }>;
}

const relClose = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.max(Math.abs(a), Math.abs(b));

/** Same path length, lambda.min, lambda.1se and chosen λ, same selected columns, coefficients and intercept within 1e-3 relative. */
export function expectSameAsGlmnet(report: FitReport, R: GlmnetResult, rule: 'lambda.min' | 'lambda.1se'): void {
  expect(report.pathLength).toBe(R.lambda.length);
  expect([report.lambdaMin, report.lambda1se]).toEqual([expect.any(Number), expect.any(Number)]);
  if (!relClose(report.lambdaMin, R.lambdaMin)) throw new Error(`lambda.min: node ${report.lambdaMin}, glmnet ${R.lambdaMin}`);
  if (!relClose(report.lambda1se, R.lambda1se)) throw new Error(`lambda.1se: node ${report.lambda1se}, glmnet ${R.lambda1se}`);
  expect(relClose(report.lambda, rule === 'lambda.min' ? R.lambdaMin : R.lambda1se)).toBe(true);
  if (!relClose(report.intercept, R.coef[0])) throw new Error(`intercept: node ${report.intercept}, glmnet ${R.coef[0]}`);
  const rSelected = R.columns.flatMap((c, j) => (R.coef[j + 1] !== 0 ? [[c, R.coef[j + 1]] as const] : []));
  expect(report.selected.map((t) => t.candidate.column).sort()).toEqual(rSelected.map(([c]) => c).sort());
  for (const [c, b] of rSelected) {
    const mine = report.selected.find((t) => t.candidate.column === c)!.coefficient;
    if (!relClose(mine, b)) throw new Error(`${c}: node ${mine}, glmnet ${b}`);
  }
}
