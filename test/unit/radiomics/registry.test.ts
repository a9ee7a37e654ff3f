/**
 * The feature registry against the IBSI reference files: every registered feature is named and
 * documented, and every IBSI code with a reference value is registered, in its family.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../../support/process';
import { NON_TEXTURE_FEATURES, registeredFeatures } from '../../../src/radiomics/registry';
import { FEATURE_FAMILIES } from '../../../src/radiomics/feature';
import { TEXTURE_FAMILIES } from '../../../src/radiomics/texture';

const REF = join(SHARED, 'reference', 'ibsi');
const TEXTURE_NAMES = new Set(['GLCM', 'GLRLM', 'GLSZM', 'GLDZM', 'NGTDM', 'NGLDM']);

/** Every (family, code, feature name) in the reference CSVs. */
function referenceCodes(): Array<{ family: string; code: string; name: string }> {
  const out = new Map<string, { family: string; code: string; name: string }>();
  for (const file of readdirSync(REF).filter((f) => f.endsWith('.csv'))) {
    const [header, ...lines] = readFileSync(join(REF, file), 'utf8').split(/\r?\n/).filter((l) => l.trim());
    const h = header.split(',');
    for (const line of lines) {
      const c = line.split(',');
      const family = c[h.indexOf('family')];
      const code = c[h.indexOf('ibsi_code')];
      out.set(`${family}|${code}`, { family, code, name: c[h.indexOf('feature')] });
    }
  }
  return [...out.values()];
}

describe('feature registry', () => {
  const all = registeredFeatures();

  test('every registered feature has an IBSI code, a tag, a name, a family and a doc line', () => {
    for (const f of all) {
      expect({ tag: f.tag, ok: /^[a-z]+(_[a-z0-9]+)+$/.test(f.tag) && /^[0-9A-Z]{3,4}(_\d+)?$/.test(f.code) && f.name.length > 2 && f.doc.length > 10 && (FEATURE_FAMILIES as readonly string[]).includes(f.family) }).toEqual({ tag: f.tag, ok: true });
    }
  });

  test('tags and codes are unique', () => {
    const tags = all.map((f) => f.tag);
    const codes = all.map((f) => f.code);
    expect(new Set(tags).size).toBe(tags.length);
    expect(new Set(codes).size).toBe(codes.length);
  });

  test('every non-texture IBSI code of the reference files is registered, with the same family', () => {
    const familyOf: Record<string, string> = { Morphology: 'morphology', 'Intensity Histogram': 'intensity_histogram', 'Intensity-Volume Histogram': 'intensity_volume_histogram' };
    const missing: string[] = [];
    for (const r of referenceCodes().filter((r) => !TEXTURE_NAMES.has(r.family))) {
      const f = NON_TEXTURE_FEATURES.find((x) => x.code === r.code);
      if (!f) missing.push(`${r.code} ${r.name}`);
      // "Intensity" in the files covers statistics, local intensity and three morphology features.
      else if (familyOf[r.family]) expect([r.code, f.family]).toEqual([r.code, familyOf[r.family]]);
    }
    expect(missing).toEqual([]);
  });

  test('reference codes of texture families are all texture codes (none hides a non-texture feature)', () => {
    const textureCodes = referenceCodes().filter((r) => TEXTURE_NAMES.has(r.family));
    expect(textureCodes).toHaveLength(25 + 16 + 16 + 16 + 5 + 17); // GLCM, GLRLM, GLSZM, GLDZM, NGTDM, NGLDM
    for (const r of textureCodes) expect(NON_TEXTURE_FEATURES.find((x) => x.code === r.code)).toBeUndefined();
  });

  test('every texture IBSI code of the reference files is registered in its family, and each family has features', () => {
    const missing = referenceCodes()
      .filter((r) => TEXTURE_NAMES.has(r.family))
      .filter((r) => !all.some((f) => f.code === r.code && f.family === r.family.toLowerCase()))
      .map((r) => `${r.family} ${r.code} ${r.name}`);
    expect(missing).toEqual([]);
    expect([...new Set(all.filter((f) => (TEXTURE_FAMILIES as readonly string[]).includes(f.family)).map((f) => f.family))].sort()).toEqual([...TEXTURE_FAMILIES].sort());
  });

  test('documentation lines are distinct within a family (none is a placeholder)', () => {
    for (const family of FEATURE_FAMILIES) {
      const docs = all.filter((f) => f.family === family).map((f) => f.doc);
      expect([family, new Set(docs).size]).toEqual([family, docs.length]);
    }
  });
});
