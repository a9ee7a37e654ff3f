/**
 * Typed reading of a naturalised dcmjs dataset (keyword → value). dcmjs hands back strings,
 * numbers, arrays, person-name objects and null for empty values; these helpers turn them into
 * what the imaging code expects and never throw: a missing or malformed value is `undefined`,
 * and the caller decides whether that is a problem.
 */

import type { NaturalDataset } from '../dicom/part10';

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/** A single string value; empty strings count as absent. */
export function str(ds: NaturalDataset, keyword: string): string | undefined {
  const v = first(ds[keyword]);
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? undefined : t;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** All string values of a multi-valued attribute (CS, UI ...). */
export function strs(ds: NaturalDataset, keyword: string): string[] {
  const v = ds[keyword];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter((x) => x !== '');
}

/** A single number (DS, IS, US ...), also when dcmjs left it as a string. */
export function num(ds: NaturalDataset, keyword: string): number | undefined {
  const v = first(ds[keyword]);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A multi-valued number attribute with exactly `count` finite values, else undefined. */
export function nums(ds: NaturalDataset, keyword: string, count?: number): number[] | undefined {
  const v = ds[keyword];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const out = list.map((x) => (typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : NaN));
  if (out.length === 0 || out.some((x) => !Number.isFinite(x))) return undefined;
  if (count !== undefined && out.length !== count) return undefined;
  return out;
}

/** Items of a sequence (empty when absent). */
export function seq(ds: NaturalDataset, keyword: string): NaturalDataset[] {
  const v = ds[keyword];
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
  return list.filter((x): x is NaturalDataset => x !== null && typeof x === 'object' && !Array.isArray(x));
}

/** A person name as its DICOM string form ("FAMILY^GIVEN"), from dcmjs' {Alphabetic} objects. */
export function personName(ds: NaturalDataset, keyword: string): string | undefined {
  const v = first(ds[keyword]);
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (v && typeof v === 'object') {
    const parts = ['Alphabetic', 'Ideographic', 'Phonetic'].map((k) => (v as Record<string, unknown>)[k]);
    if (parts.every((p) => p === undefined || p === '')) return undefined;
    const text = parts.map((p) => (typeof p === 'string' ? p : '')).join('=').replace(/=+$/, '');
    return text === '' ? undefined : text;
  }
  return undefined;
}
