/**
 * Lesion site from words: the keyword lists that map an ROI name (lesion or organ) to a site.
 *
 * Names are compared lower-case with accents removed ("hígado" → "higado"). Stems match
 * anywhere in the letters of the name ("GTV_liver2", "GTVLiver", "Hepatic_met" all say liver),
 * phrases ("head and neck", "H&N") word by word;
 * short abbreviations match only as a whole token between separators ("LN3", "ORL", "HN"), so
 * "LN" does not fire inside "pulmonary" or "kiln". A name whose keywords point to more than one
 * site ("GTV_lung_LN") decides nothing: the site then comes from the next rule.
 *
 * | site | stems (anywhere) | tokens (whole) |
 * | --- | --- | --- |
 * | liver | liver, foie, leber, higado, fegato, hepat, hepar | hep, lever |
 * | lung | lung (lunge), poumon, pulmo (pulmonary, pulmón, pulmone), pulmao | rul, rml, rll, lul, lll |
 * | lymph_node | lymph (Lymphknoten, lymphe), node, nodal, ganglio (ganglion), linfonod, adenopath | ln, lnn, lk, ln1…, lk1… |
 * | head_and_neck | head and neck, headneck, kopf hals, tete et cou, cabeza y cuello, testa collo, parot, laryn, pharyn, tonsil, tongue, glott, mandib, oral cavity, cavite buccale, neck, cuello | hn, hnc, h&n, orl, hno, vads, scchn, hnscc, cou, hals |
 */
import type { LesionSite } from '../results/types';

export const SITE_LABEL: Record<LesionSite, string> = {
  liver: 'liver',
  lung: 'lung',
  lymph_node: 'lymph node',
  head_and_neck: 'head and neck',
  other: 'other',
  unknown: 'unknown',
};

interface SiteWords {
  site: LesionSite;
  /** Matched against the name's letters and spaces, lower case, no accents. */
  stems: string[];
  /** Whole tokens (regex, anchored). */
  tokens: RegExp[];
}

export const SITE_WORDS: readonly SiteWords[] = [
  { site: 'liver', stems: ['liver', 'foie', 'leber', 'higado', 'fegato', 'hepat', 'hepar'], tokens: [/^hep$/, /^lever$/] },
  { site: 'lung', stems: ['lung', 'poumon', 'pulmo', 'pulmao'], tokens: [/^(rul|rml|rll|lul|lll)$/] },
  {
    site: 'lymph_node',
    stems: ['lymph', 'node', 'nodal', 'ganglio', 'linfonod', 'adenopath'],
    tokens: [/^lnn?\d*[a-z]?$/, /^lk\d*$/],
  },
  {
    site: 'head_and_neck',
    stems: ['head and neck', 'headneck', 'head neck', 'h and n', 'kopf hals', 'tete et cou', 'cabeza y cuello', 'testa collo', 'parot', 'laryn', 'pharyn', 'tonsil', 'tongue', 'glott', 'mandib', 'oral cavity', 'cavite buccale', 'neck', 'cuello'],
    tokens: [/^(hn|hnc|orl|hno|vads|scchn|hnscc|cou|hals)$/],
  },
];

/** Lower case, accents removed, '&' read as 'and', every other separator a single space. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

export interface NameSite {
  site: LesionSite;
  keyword: string;
}

/** Every site the name's keywords point to (one entry per site, first keyword found). */
export function sitesInName(name: string): NameSite[] {
  const text = normaliseName(name);
  const letters = text.replace(/[0-9]+/g, ' ').replace(/ +/g, ' ');
  const compact = letters.replace(/ /g, '');
  const tokens = text.split(' ').filter((t) => t !== '');
  const found: NameSite[] = [];
  for (const words of SITE_WORDS) {
    // Phrases must appear word by word; single stems anywhere in the letters.
    const stem = words.stems.find((s) => (s.includes(' ') ? ` ${letters} `.includes(` ${s} `) : compact.includes(s)));
    const token = stem ? undefined : tokens.find((t) => words.tokens.some((r) => r.test(t)));
    const keyword = stem ?? token;
    if (keyword) found.push({ site: words.site, keyword });
  }
  return found;
}

/** The site a name says, or why it says none. */
export function siteFromName(name: string): { site: LesionSite; keyword: string } | { site: null; why: string } {
  const found = sitesInName(name);
  if (found.length === 1) return found[0];
  if (found.length === 0) return { site: null, why: `its name "${name}" has no site keyword` };
  return { site: null, why: `the keywords of its name "${name}" disagree (${found.map((f) => `"${f.keyword}" → ${SITE_LABEL[f.site]}`).join(', ')})` };
}
