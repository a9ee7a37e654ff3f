import { chooseSeries } from '../../../src/imaging/seriesChoice';
import { ImageHeader } from '../../../src/imaging/imageHeader';
import { headers, stack, structureSet } from '../../support/synthetic';

const series = (uid: string, frame = '1.2.3.99'): [string, ImageHeader[]] => [uid, headers({ seriesUid: uid, frameOfReferenceUid: frame, positions: stack([0, 0, 0], [0, 0, 1], 1, 3) })];

describe('choosing the CT series of an RTSTRUCT among several', () => {
  it('takes the series the RTSTRUCT references', () => {
    const c = chooseSeries(new Map([series('1.1'), series('1.2'), series('1.3')]), structureSet([], '1.2'));
    expect(c).toEqual({ ok: true, seriesInstanceUid: '1.2', how: 'referenced by the RTSTRUCT (RT Referenced Series)', warnings: [] });
  });

  it('falls back to the only series in its frame of reference, and says so', () => {
    const c = chooseSeries(new Map([series('1.1', '7.7'), series('1.2')]), structureSet([], '4.4.4'));
    expect(c).toMatchObject({ ok: true, seriesInstanceUid: '1.2', warnings: [expect.stringMatching(/references series 4\.4\.4, which is not among the images; using series 1\.2 \(CT 3 images\), the only one in its frame of reference 1\.2\.3\.99/)] });
  });

  it('never guesses between series of the same frame of reference', () => {
    const c = chooseSeries(new Map([series('1.1'), series('1.2')]), structureSet([], '4.4.4'));
    expect(c).toMatchObject({ ok: false, code: 'ambiguous-series', message: expect.stringMatching(/2 series share its frame of reference 1\.2\.3\.99 \(1\.1 \(CT 3 images\); 1\.2 \(CT 3 images\)\); choose one \(cd8-node lesions --series UID\)/) });
  });

  it('names the frame of reference no received CT has', () => {
    const c = chooseSeries(new Map([series('1.1', '8.8')]), structureSet([], '4.4.4'));
    expect(c).toMatchObject({ ok: false, code: 'frame-of-reference-mismatch', message: expect.stringMatching(/references frame of reference 1\.2\.3\.99 but no CT series with that frame was received \(series here: 1\.1 \(CT 3 images\) in 8\.8\)/) });
  });

  it('honours an explicit choice, and refuses one that is not there', () => {
    expect(chooseSeries(new Map([series('1.1'), series('1.2')]), structureSet([], '1.1'), '1.2')).toMatchObject({ ok: true, seriesInstanceUid: '1.2', how: 'as requested' });
    expect(chooseSeries(new Map([series('1.1')]), structureSet([], '1.1'), '9.9')).toMatchObject({ ok: false, code: 'requested-series-missing' });
  });
});
