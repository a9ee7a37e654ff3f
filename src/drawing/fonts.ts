/**
 * The fonts every picture and PDF uses, from npm packages so that `npm ci` brings them:
 * DejaVu Sans (dejavu-fonts-ttf) for Latin, Greek and Cyrillic, and Noto Sans JP
 * (@expo-google-fonts/noto-sans-jp, TrueType outlines) for Japanese kana and kanji, the CJK
 * ideographs most names use. Both are TrueType (glyf) fonts: Skia draws them and pdfkit embeds
 * them as subsets (only the glyphs used), so a PDF stays small.
 *
 * Registering a font with the canvas reads its file once per thread: a static resource of the
 * package, like a module, not input data.
 */
import { GlobalFonts } from '@napi-rs/canvas';

export const FONT_FILES = {
  latin: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  latinBold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  cjk: require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf'),
  cjkBold: require.resolve('@expo-google-fonts/noto-sans-jp/700Bold/NotoSansJP_700Bold.ttf'),
} as const;

const FAMILIES = {
  latin: 'CD8 DejaVu Sans',
  latinBold: 'CD8 DejaVu Sans Bold',
  cjk: 'CD8 Noto Sans JP',
  cjkBold: 'CD8 Noto Sans JP Bold',
} as const;
let registered = false;

function registerFonts(): void {
  if (registered) return;
  // One family per file: the canvas then never picks a weight we did not ask for.
  for (const key of Object.keys(FAMILIES) as Array<keyof typeof FAMILIES>) {
    if (!GlobalFonts.registerFromPath(FONT_FILES[key], FAMILIES[key])) throw new Error(`the font ${FONT_FILES[key]} could not be loaded; reinstall the node's packages (npm ci)`);
  }
  registered = true;
}

/** A CSS font for the canvas: DejaVu Sans first, Noto Sans JP for what it lacks (per character). */
export function canvasFont(sizePx: number, bold = false): string {
  registerFonts();
  return bold ? `${sizePx}px "${FAMILIES.latinBold}", "${FAMILIES.cjkBold}"` : `${sizePx}px "${FAMILIES.latin}", "${FAMILIES.cjk}"`;
}

/**
 * Splits text into runs for the PDF, which has no per-character fallback: CJK characters (kana,
 * ideographs, CJK punctuation, full-width forms) go to Noto Sans JP, everything else to DejaVu Sans.
 */
export function fontRuns(text: string): Array<{ font: 'latin' | 'cjk'; text: string }> {
  const runs: Array<{ font: 'latin' | 'cjk'; text: string }> = [];
  for (const ch of text) {
    const font = isCjk(ch.codePointAt(0)!) ? 'cjk' : 'latin';
    const last = runs[runs.length - 1];
    if (last && (last.font === font || ch === ' ')) last.text += ch;
    else runs.push({ font, text: ch });
  }
  return runs;
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x2e80 && cp <= 0x2fdf) || // CJK radicals
    (cp >= 0x3000 && cp <= 0x30ff) || // CJK punctuation, hiragana, katakana
    (cp >= 0x3100 && cp <= 0x31ff) || // bopomofo, katakana extensions
    (cp >= 0x3200 && cp <= 0x4dbf) || // enclosed CJK, compatibility, extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // unified ideographs
    (cp >= 0xf900 && cp <= 0xfaff) || // compatibility ideographs
    (cp >= 0xff00 && cp <= 0xffef) || // half- and full-width forms
    (cp >= 0x20000 && cp <= 0x2fa1f) // supplementary ideographs
  );
}
