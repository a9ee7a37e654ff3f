/**
 * Colours of the pictures. The three classes use Okabe–Ito colours, chosen to stay apart for
 * people with any common colour-vision deficiency and to stand out on grey CT; every picture
 * also writes the class in words.
 */
export type PictureClass = 'hot' | 'cold' | 'not-scored';

export const CLASS_COLOURS: Record<PictureClass, { css: string; rgb: [number, number, number] }> = {
  /** Okabe–Ito vermillion. */
  hot: { css: '#D55E00', rgb: [0xd5, 0x5e, 0x00] },
  /** Okabe–Ito sky blue. */
  cold: { css: '#56B4E9', rgb: [0x56, 0xb4, 0xe9] },
  /** Okabe–Ito yellow. */
  'not-scored': { css: '#F0E442', rgb: [0xf0, 0xe4, 0x42] },
};

export const CLASS_WORDS: Record<PictureClass, string> = {
  hot: 'HOT (CD8-inflamed)',
  cold: 'COLD (immune desert)',
  'not-scored': 'NOT SCORED',
};

/** The peritumoral ring's outer edge: white, dashed, so it never reads as a class. */
export const RING_COLOUR = '#FFFFFF';
export const TEXT = '#FFFFFF';
export const MUTED = '#C8C8C8';
export const BACKGROUND = '#000000';
