/**
 * A small typed schema kit for the node's configuration.
 *
 * Why not a generic validator: an admin reading `cd8-node config check` needs the path of
 * the bad key, what was wrong and what to do ("did you mean `port`?"), and the README needs
 * the same documentation the validator enforces. One description serves all three.
 */

export interface ConfigIssue {
  /** Dotted path in the configuration, e.g. `dicom.port` or `destinations.dicom[1].aeTitle`. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface DocRow {
  path: string;
  type: string;
  default: string;
  doc: string;
  env?: string;
}

export interface Schema<T> {
  readonly doc: string;
  readonly typeName: string;
  /**
   * Validates `value` (undefined = not given, so the default applies) and records issues.
   * Always returns a value (the default where the given one is invalid), so rules that span
   * several keys can still run and every problem is reported in one pass.
   */
  parse(value: unknown, path: string, issues: ConfigIssue[]): T;
  defaultValue(): T;
  docRows(path: string): DocRow[];
  /** Documented YAML of the default value: `# doc` comments above each key. */
  yamlLines(key: string, indent: string): string[];
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

function formatDefault(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return value.length === 0 ? '[]' : JSON.stringify(value);
  if (typeof value === 'object') return '';
  return String(value);
}

function yamlScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return value === '' || /^[\s*&!|>'"%@`#,\[\]{}-]|: | #|^(true|false|null|yes|no|~|[-+.\d].*)$/i.test(value) || /[:#]$/.test(value)
      ? JSON.stringify(value)
      : value;
  }
  if (Array.isArray(value)) return `[${value.map(yamlScalar).join(', ')}]`;
  return String(value);
}

function commentLines(doc: string, indent: string): string[] {
  return doc ? [`${indent}# ${doc}`] : [];
}

function err(issues: ConfigIssue[], path: string, message: string): undefined {
  issues.push({ path, message, severity: 'error' });
  return undefined;
}

interface Common<T> {
  doc: string;
  default: T;
  /** The key must be given (the default only documents a typical value). */
  required?: boolean;
  /** Extra rule; returns the problem and what to do, or undefined when fine. */
  check?: (value: T) => string | undefined;
}

abstract class Leaf<T> implements Schema<T> {
  constructor(
    protected readonly opts: Common<T>,
    readonly typeName: string,
  ) {}
  get doc(): string {
    return this.opts.doc;
  }
  defaultValue(): T {
    const d = this.opts.default;
    return Array.isArray(d) ? ([...d] as T) : d;
  }
  docRows(path: string): DocRow[] {
    const shown = this.opts.required ? '(required)' : formatDefault(this.opts.default);
    return [{ path, type: this.typeName, default: shown, doc: this.opts.doc }];
  }
  yamlLines(key: string, indent: string): string[] {
    return [...commentLines(`${this.opts.doc} [${this.typeName}]`, indent), `${indent}${key}: ${yamlScalar(this.opts.default)}`];
  }
  parse(value: unknown, path: string, issues: ConfigIssue[]): T {
    if (value === undefined) {
      if (this.opts.required) err(issues, path, `is required (${this.opts.doc}).`);
      return this.defaultValue();
    }
    const parsed = this.parseGiven(value, path, issues);
    if (parsed === undefined) return this.defaultValue();
    const problem = this.opts.check?.(parsed);
    if (problem) {
      err(issues, path, problem);
      return this.defaultValue();
    }
    return parsed;
  }
  protected abstract parseGiven(value: unknown, path: string, issues: ConfigIssue[]): T | undefined;
}

class StringSchema<T extends string | null> extends Leaf<T> {
  constructor(
    opts: Common<T> & { nullable?: boolean; nonEmpty?: boolean },
    private readonly nullable: boolean,
    private readonly nonEmpty: boolean,
  ) {
    super(opts, nullable ? 'string or null' : 'string');
  }
  protected parseGiven(value: unknown, path: string, issues: ConfigIssue[]): T | undefined {
    if (value === null && this.nullable) return null as T;
    if (typeof value !== 'string') {
      return err(issues, path, `expected a string, found ${describeValue(value)}.`);
    }
    if (this.nonEmpty && value.trim() === '') return err(issues, path, 'must not be empty.');
    return value as T;
  }
}

class EnumSchema<T extends string> extends Leaf<T> {
  constructor(
    opts: Common<T>,
    private readonly values: readonly T[],
  ) {
    super(opts, `one of ${values.join(' | ')}`);
  }
  protected parseGiven(value: unknown, path: string, issues: ConfigIssue[]): T | undefined {
    if (typeof value === 'string' && (this.values as readonly string[]).includes(value)) return value as T;
    return err(issues, path, `${describeValue(value)} is not allowed; use one of: ${this.values.join(', ')}.`);
  }
}

class NumberSchema extends Leaf<number> {
  constructor(
    opts: Common<number> & { min?: number; max?: number; integer?: boolean; unit?: string },
    private readonly min: number | undefined,
    private readonly max: number | undefined,
    private readonly integer: boolean,
  ) {
    super(opts, NumberSchema.typeName(min, max, integer, opts.unit));
  }
  private static typeName(min: number | undefined, max: number | undefined, integer: boolean, unit?: string): string {
    const base = integer ? 'integer' : 'number';
    const range =
      min !== undefined && max !== undefined ? ` ${min}–${max}` : min !== undefined ? ` ≥ ${min}` : max !== undefined ? ` ≤ ${max}` : '';
    return `${base}${range}${unit ? ` (${unit})` : ''}`;
  }
  protected parseGiven(value: unknown, path: string, issues: ConfigIssue[]): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return err(issues, path, `expected ${this.integer ? 'an integer' : 'a number'}, found ${describeValue(value)}.`);
    }
    if (this.integer && !Number.isInteger(value)) return err(issues, path, `expected an integer, found ${value}.`);
    const lo = this.min ?? -Infinity;
    const hi = this.max ?? Infinity;
    if (value < lo || value > hi) {
      const range = this.typeName.replace(/^(integer|number)\s*/, '');
      return err(issues, path, `${value} is out of range (${range}).`);
    }
    return value;
  }
}

class BooleanSchema extends Leaf<boolean> {
  constructor(opts: Common<boolean>) {
    super(opts, 'boolean');
  }
  protected parseGiven(value: unknown, path: string, issues: ConfigIssue[]): boolean | undefined {
    if (typeof value === 'boolean') return value;
    return err(issues, path, `expected true or false, found ${describeValue(value)}.`);
  }
}

class ListSchema<T> implements Schema<T[]> {
  constructor(
    private readonly item: Schema<T>,
    private readonly opts: Common<T[]> & { itemDoc?: string },
  ) {}
  get doc(): string {
    return this.opts.doc;
  }
  get typeName(): string {
    return `list of ${this.item.typeName}`;
  }
  defaultValue(): T[] {
    return structuredClone(this.opts.default);
  }
  docRows(path: string): DocRow[] {
    const own: DocRow = { path, type: this.typeName, default: formatDefault(this.opts.default), doc: this.opts.doc };
    // A list of sections documents the section's fields under `path[]`.
    const nested = this.item instanceof ObjectSchema ? this.item.docRows(`${path}[]`) : [];
    return [own, ...nested];
  }
  yamlLines(key: string, indent: string): string[] {
    const lines = [...commentLines(this.opts.doc, indent)];
    if (this.item instanceof ObjectSchema && this.opts.default.length === 0) {
      // An empty list of sections: show one commented-out example entry.
      lines.push(`${indent}${key}: []`, `${indent}# Example:`, `${indent}# ${key}:`);
      const example = this.item.yamlLines('-', `${indent}  `).filter((l) => !l.trimStart().startsWith('#'));
      const body = example.slice(1).map((l, i) => (i === 0 ? l.replace(/^(\s*)  /, '$1- ') : l));
      lines.push(...body.map((l) => `${indent}# ${l.slice(indent.length)}`));
      return lines;
    }
    lines.push(`${indent}${key}: ${yamlScalar(this.opts.default)}`);
    return lines;
  }
  parse(value: unknown, path: string, issues: ConfigIssue[]): T[] {
    if (value === undefined) return this.defaultValue();
    if (!Array.isArray(value)) {
      err(issues, path, `expected a list, found ${describeValue(value)}.`);
      return this.defaultValue();
    }
    // An invalid value is left out rather than replaced by the item default: a wrong entry of
    // dicom.allowedCallers must not become "*" and draw a warning about accepting anyone. A
    // section keeps its valid keys, so the rules across entries (duplicates) still see it.
    const list: T[] = [];
    let invalid = false;
    const errorCount = () => issues.filter((x) => x.severity === 'error').length;
    value.forEach((v, i) => {
      const before = errorCount();
      const item = this.item.parse(v, `${path}[${i}]`, issues);
      const bad = errorCount() > before;
      invalid ||= bad;
      if (!bad || this.item instanceof ObjectSchema) list.push(item);
    });
    const problem = invalid ? undefined : this.opts.check?.(list);
    if (problem) err(issues, path, problem);
    return list;
  }
}

/** Levenshtein distance, to suggest the key an admin probably meant. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Accepts null (meaning "not known yet" or "none") besides what the inner schema accepts. */
class NullableSchema<T> implements Schema<T | null> {
  constructor(
    private readonly inner: Schema<T>,
    private readonly def: T | null,
  ) {}
  get doc(): string {
    return this.inner.doc;
  }
  get typeName(): string {
    return `${this.inner.typeName} or null`;
  }
  defaultValue(): T | null {
    return this.def;
  }
  docRows(path: string): DocRow[] {
    return this.inner.docRows(path).map((r, i) => (i === 0 ? { ...r, type: this.typeName, default: formatDefault(this.def) } : r));
  }
  yamlLines(key: string, indent: string): string[] {
    return [...commentLines(`${this.doc} [${this.typeName}]`, indent), `${indent}${key}: ${yamlScalar(this.def)}`];
  }
  parse(value: unknown, path: string, issues: ConfigIssue[]): T | null {
    if (value === undefined) return this.def;
    if (value === null) return null;
    return this.inner.parse(value, path, issues);
  }
}

type Fields = Record<string, Schema<unknown>>;
type InferFields<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

class ObjectSchema<F extends Fields> implements Schema<InferFields<F>> {
  readonly typeName = 'section';
  constructor(
    private readonly fields: F,
    readonly doc: string,
    private readonly check?: (value: InferFields<F>) => string | undefined,
  ) {}
  defaultValue(): InferFields<F> {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(this.fields)) out[k] = s.defaultValue();
    return out as InferFields<F>;
  }
  docRows(path: string): DocRow[] {
    const rows: DocRow[] = path ? [{ path, type: 'section', default: '', doc: this.doc }] : [];
    for (const [k, s] of Object.entries(this.fields)) rows.push(...s.docRows(path ? `${path}.${k}` : k));
    return rows;
  }
  yamlLines(key: string, indent: string): string[] {
    const lines = [...commentLines(this.doc, indent), `${indent}${key}:`];
    for (const [k, s] of Object.entries(this.fields)) lines.push(...s.yamlLines(k, `${indent}  `));
    return lines;
  }
  /** The whole file: top-level sections separated by blank lines. */
  yamlDocument(header: string[]): string {
    const out = header.map((h) => `# ${h}`.trimEnd());
    for (const [k, s] of Object.entries(this.fields)) out.push('', ...s.yamlLines(k, ''));
    return out.join('\n') + '\n';
  }
  parse(value: unknown, path: string, issues: ConfigIssue[]): InferFields<F> {
    let given = value === undefined ? {} : value;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      err(issues, path || '(top level)', `expected a section of keys, found ${describeValue(given)}.`);
      given = {};
    }
    const known = Object.keys(this.fields);
    for (const key of Object.keys(given)) {
      if (!(key in this.fields)) {
        const guess = closestKey(key, known);
        const where = path ? `${path}.${key}` : key;
        const hint = guess ? ` Did you mean "${guess}"?` : ` Known keys here: ${known.join(', ')}.`;
        err(issues, where, `unknown key "${key}".${hint}`);
      }
    }
    const fields = given as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(this.fields)) {
      out[k] = s.parse(fields[k], path ? `${path}.${k}` : k, issues);
    }
    const parsed = out as InferFields<F>;
    const problem = this.check?.(parsed);
    if (problem) err(issues, path || '(top level)', problem);
    return parsed;
  }
}

export const s = {
  string: (opts: Common<string> & { nonEmpty?: boolean }): Schema<string> =>
    new StringSchema<string>(opts, false, opts.nonEmpty ?? false),
  nullableString: (opts: Common<string | null>): Schema<string | null> => new StringSchema<string | null>(opts, true, false),
  enum: <const T extends string>(values: readonly T[], opts: Common<NoInfer<T>>): Schema<T> =>
    new EnumSchema<T>(opts as Common<T>, values),
  int: (opts: Common<number> & { min?: number; max?: number; unit?: string }): Schema<number> =>
    new NumberSchema(opts, opts.min, opts.max, true),
  number: (opts: Common<number> & { min?: number; max?: number; unit?: string }): Schema<number> =>
    new NumberSchema(opts, opts.min, opts.max, false),
  bool: (opts: Common<boolean>): Schema<boolean> => new BooleanSchema(opts),
  /** `inner` or null; null is also the default unless given. */
  nullable: <T>(inner: Schema<T>, def: T | null = null): Schema<T | null> => new NullableSchema<T>(inner, def),
  list: <T>(item: Schema<T>, opts: Common<T[]>): Schema<T[]> => new ListSchema<T>(item, opts),
  object: <F extends Fields>(
    fields: F,
    doc: string,
    check?: (value: InferFields<F>) => string | undefined,
  ): Schema<InferFields<F>> & { yamlDocument(header: string[]): string } => new ObjectSchema<F>(fields, doc, check),
};
