import { validate as validateCron } from 'node-cron';
import { errorText } from '../ops/errorText';

export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'i');
    return undefined;
  } catch (e) {
    return `"${pattern}" is not a valid regular expression (${errorText(e)}).`;
  }
}

export function cronProblem(expression: string): string | undefined {
  return validateCron(expression)
    ? undefined
    : `"${expression}" is not a valid cron expression; use five fields "minute hour day month weekday", e.g. "30 3 * * *" for 03:30 daily.`;
}
