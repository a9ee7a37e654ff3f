/**
 * Rounding of interpolated intensities (IBSI 68QD: "rounded to the nearest integer").
 * Ties go to the even integer, as numpy.round does in the IBSI coordinators' toolkit (mirp);
 * half-up rounding would bias every exact .5 produced by averaging two integers upwards.
 */
export function roundHalfEven(x: number): number {
  // Fast path (V8 runs Math.round and data-dependent branches slowly): when r = floor(x + 0.5)
  // lies strictly within 0.5 of x (rounding is monotone, so a computed |r − x| < 0.5 means the
  // exact one is) r is the nearest integer and no tie; r ≠ 0 leaves the sign of zero aside.
  const r = Math.floor(x + 0.5);
  const e = r - x;
  return e < 0.5 && e > -0.5 && r !== 0 ? r : roundHalfEvenExact(x);
}

function roundHalfEvenExact(x: number): number {
  const r = Math.round(x);
  // Math.round sends ties towards +infinity (then r − x is exactly 0.5); move them to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function roundInPlace(data: Float32Array | Float64Array): void {
  for (let i = 0; i < data.length; i++) data[i] = roundHalfEven(data[i]);
}

/** Rounds to `digits` significant digits (used to compare with reference values given to 3 digits). */
export function roundSignificant(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const factor = Math.pow(10, digits - 1 - magnitude);
  return Math.round(x * factor) / factor;
}
