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
