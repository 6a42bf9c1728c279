/**
 * Checks for what the store reads back (database rows, message records) and for the messages it
 * is given: small hand-written field checks, so that the store's worker does not carry a schema
 * library (it was over half of the worker's bundle, and compiling its parsers slowed the first
 * queries after an open).
 *
 * A field check takes a value and returns what it stands for, or a `Failure` saying why it does
 * not fit. `fields` applies one check per known key and builds a new object of those keys only:
 * keys it does not know are dropped, and a key absent from the input whose check lets it be
 * absent stays absent. Failures name their field: `column: message`, nested as `m.id: message`.
 */

/** One reason a value does not fit: where (a key path, empty for the value itself) and why. */
export interface Issue {
  path: string;
  message: string;
}

/** Why a value does not fit. */
export class Failure {
  constructor(readonly issues: readonly Issue[]) {}
}

export type Check<T> = (value: unknown) => T | Failure;

/** A decoded value, or its issues as `path: message` texts. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; issues: string[] };

function fail(message: string): Failure {
  return new Failure([{ path: '', message }]);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : String(value);
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

export const string: Check<string> = (v) => (typeof v === 'string' ? v : fail(`expected a string, got ${describe(v)}`));

export function startingWith(prefix: string): Check<string> {
  return (v) => (typeof v !== 'string' ? fail(`expected a string, got ${describe(v)}`) : v.startsWith(prefix) ? v : fail(`expected a string starting with "${prefix}", got ${describe(v)}`));
}

export function matching(pattern: RegExp): Check<string> {
  return (v) => (typeof v !== 'string' ? fail(`expected a string, got ${describe(v)}`) : pattern.test(v) ? v : fail(`expected a string matching ${String(pattern)}, got ${describe(v)}`));
}

/** A time as stored (ISO 8601): a string of at least 10 characters. */
export const isoTime: Check<string> = (v) =>
  typeof v !== 'string' ? fail(`expected a time (a string), got ${describe(v)}`) : v.length >= 10 ? v : fail(`expected a time of at least 10 characters, got ${describe(v)}`);

/** A whole number (a safe integer), from `min` to `max` when given. */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> {
  return (v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(`expected a whole number, got ${describe(v)}`);
    if (v < min || v > max) return fail(`expected a whole number from ${min} to ${max}, got ${v}`);
    return v;
  };
}

export const boolean: Check<boolean> = (v) => (typeof v === 'boolean' ? v : fail(`expected true or false, got ${describe(v)}`));

/** SQLite's boolean: 0 or 1, as `false` or `true`. */
export const flag: Check<boolean> = (v) => (v === 0 || v === 1 ? v === 1 : fail(`expected 0 or 1, got ${describe(v)}`));

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  const set: ReadonlySet<unknown> = new Set(values);
  return (v) => (set.has(v) ? (v as T) : fail(`expected one of ${values.map((x) => `"${x}"`).join(', ')}, got ${describe(v)}`));
}

/** A column that may be NULL. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v) => (v === null ? null : check(v));
}

/** A column that may be NULL, read as `undefined` (the column itself must be there). */
export function nullAsUndefined<T>(check: Check<T>): Check<T | undefined> {
  return (v) => (v === null ? undefined : check(v));
}

/** A field that may be left out (or be `undefined`). */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v) => (v === undefined ? undefined : check(v));
}

/** A text column holding a JSON list of some of `values`, as that list. */
export function jsonListOf<const T extends string>(values: readonly T[]): Check<T[]> {
  const set: ReadonlySet<unknown> = new Set(values);
  return (v) => {
    if (typeof v !== 'string') return fail(`expected a JSON list (a string), got ${describe(v)}`);
    let list: unknown;
    try {
      list = JSON.parse(v);
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list) || !list.every((x) => set.has(x))) return fail(`${v} is not a list of ${values.join('/')}`);
    return list as T[];
  };
}

/** A list of values each of which passes `check`, at most `max` of them. */
export function listOf<T>(check: Check<T>, max = Number.MAX_SAFE_INTEGER): Check<T[]> {
  return (v) => {
    if (!Array.isArray(v)) return fail(`expected a list, got ${describe(v)}`);
    if (v.length > max) return fail(`expected at most ${max} items, got ${v.length}`);
    const out: T[] = [];
    for (const [i, item] of v.entries()) {
      const checked = check(item);
      if (checked instanceof Failure) return new Failure(checked.issues.map((issue) => ({ path: issue.path ? `${i}.${issue.path}` : `${i}`, message: issue.message })));
      out.push(checked);
    }
    return out;
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A plain object with string keys and any values, copied (one level). */
export const record: Check<Record<string, unknown>> = (v) => {
  if (!isPlainObject(v)) return fail(`expected an object, got ${describe(v)}`);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(v)) Object.defineProperty(copy, key, { value: v[key], enumerable: true, writable: true, configurable: true });
  return copy;
};

/** The checks of an object's known keys. */
export type Shape<T> = { [K in keyof T]-?: Check<T[K]> };

/**
 * An object of the keys `shape` knows, each checked, as a new object: unknown keys are dropped;
 * a key absent from the input whose check gives `undefined` stays absent. All failing keys are
 * reported, each as `key: message`.
 */
export function fields<T>(shape: Shape<T>): Check<T> {
  const keys = Object.keys(shape) as (keyof T & string)[];
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`expected an object, got ${describe(v)}`);
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let issues: Issue[] | undefined;
    for (const key of keys) {
      const value = input[key];
      const checked = shape[key](value);
      if (checked instanceof Failure) {
        issues ??= [];
        for (const issue of checked.issues) issues.push({ path: issue.path ? `${key}.${issue.path}` : key, message: issue.message });
      } else if (checked !== undefined || value !== undefined || key in input) {
        out[key] = checked;
      }
    }
    return issues ? new Failure(issues) : (out as T);
  };
}

/** A check whose value is then turned into another (a row into a record). */
export function map<A, B>(check: Check<A>, to: (value: A) => B): Check<B> {
  return (v) => {
    const out = check(v);
    return out instanceof Failure ? out : to(out);
  };
}

/** Runs a check, for callers that report its failures their own way. */
export function decode<T>(check: Check<T>, value: unknown): Decoded<T> {
  const out = check(value);
  return out instanceof Failure ? { ok: false, issues: out.issues.map((i) => `${i.path}: ${i.message}`) } : { ok: true, value: out };
}
