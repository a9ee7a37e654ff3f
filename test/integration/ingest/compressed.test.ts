/**
 * Compressed copies of the phantom (JPEG-LS lossless with dcmcjpls, RLE with dcmcrle) are
 * accepted in their own transfer syntax and stored as received, with that syntax in the meta
 * header. Transfer syntaxes we could not decode later are refused at negotiation.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetOf, dicomFiles, IngestNode, PHANTOM_CT, PHANTOM_RTSTRUCT, sopInstanceUidOf, startIngestNode, storescu, tempDir } from './support';
import { run } from '../../support/process';
import { readFileMeta } from '../../../src/dicom/part10';

const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';

async function compressAll(tool: 'dcmcjpls' | 'dcmcrle'): Promise<string> {
  const out = tempDir(tool);
  mkdirSync(join(out, 'image'));
  const files = readdirSync(PHANTOM_CT);
  // A few at a time: quick, without flooding a 2-core machine.
  for (let i = 0; i < files.length; i += 8) {
    const batch = files.slice(i, i + 8).map((f) => run(tool, [join(PHANTOM_CT, f), join(out, 'image', f)]));
    for (const r of await Promise.all(batch)) expect(r.code).toBe(0);
  }
  return out;
}

describe.each([
  { tool: 'dcmcjpls' as const, decoder: 'dcmdjpls', propose: '-xt', syntax: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS lossless' },
  { tool: 'dcmcrle' as const, decoder: 'dcmdrle', propose: '-xr', syntax: '1.2.840.10008.1.2.5', name: 'RLE lossless' },
])('a $name copy of the phantom ($tool)', ({ tool, decoder, propose, syntax }) => {
  let n: IngestNode;
  let dir: string;
  beforeAll(async () => {
    [n, dir] = await Promise.all([startIngestNode(), compressAll(tool)]);
  });
  afterAll(async () => {
    await n?.stop();
  });

  it(`is accepted with storescu ${propose} and stored in that transfer syntax, dataset unchanged`, async () => {
    const compressed = dicomFiles(dir);
    expect(compressed).toHaveLength(60);
    expect(readFileMeta(readFileSync(compressed[0])).transferSyntaxUid).toBe(syntax);

    const r = await storescu(n.port, ['+sd', dir, '+r', PHANTOM_RTSTRUCT], { args: [propose] });
    expect(r.code).toBe(0);
    expect(r.successes).toBe(61);
    // storescu sent each compressed file as it is (it "converts" them only to their own syntax).
    const conversions = [...(r.stdout + r.stderr).matchAll(/Converting transfer syntax: (.+) -> (.+)/g)].map((m) => [m[1].trim(), m[2].trim()]);
    expect(conversions.filter(([from, to]) => !/Little Endian/.test(from) && from !== to)).toEqual([]);

    const stored = new Map((await n.node.studies.listInstances(PHANTOM_STUDY, 1)).map((i) => [i.sopInstanceUid, i]));
    for (const file of compressed) {
      const s = stored.get(sopInstanceUidOf(file))!;
      expect(s.transferSyntaxUid).toBe(syntax);
      expect(readFileMeta(readFileSync(s.path)).transferSyntaxUid).toBe(syntax);
      expect(datasetOf(s.path).equals(datasetOf(file))).toBe(true);
    }
    // DCMTK decodes what we kept: the compressed pixel data survived intact.
    const one = [...stored.values()].find((s) => s.modality === 'CT')!;
    const decoded = await run(decoder, [one.path, join(tempDir('decoded'), 'ct.dcm')]);
    expect({ decoder, code: decoded.code, stderr: decoded.stderr }).toEqual({ decoder, code: 0, stderr: '' });
  });
});

/** A storescu profile proposing CT Image Storage in the given syntax only, as a modality or archive would. */
function singleSyntaxProfile(dir: string, syntax: string): string {
  const profile = join(dir, 'storescu.cfg');
  writeFileSync(
    profile,
    [
      '[[TransferSyntaxes]]',
      '[Only]',
      `TransferSyntax1 = ${syntax}`,
      '[[PresentationContexts]]',
      '[CtOnly]',
      'PresentationContext1 = 1.2.840.10008.5.1.4.1.1.2\\Only',
      '[[Profiles]]',
      '[OneSyntax]',
      'PresentationContexts = CtOnly',
      '',
    ].join('\n'),
  );
  return profile;
}

describe('JPEG lossless process 14 and the syntaxes we cannot decode', () => {
  let n: IngestNode;
  beforeAll(async () => {
    n = await startIngestNode();
  });
  afterAll(async () => {
    await n?.stop();
  });

  it('accepts JPEG lossless process 14 with predictor 7 (.57) proposed alone, and stores it as received', async () => {
    const out = tempDir('jpeg57');
    const file = join(out, 'ct.dcm');
    // dcmcjpeg +el +sv 7: JPEG Lossless, Non-Hierarchical, process 14, selection value 7 (1.2.840.10008.1.2.4.57).
    expect((await run('dcmcjpeg', ['+el', '+sv', '7', join(PHANTOM_CT, 'DCM_IMG_00000.dcm'), file])).code).toBe(0);
    expect(readFileMeta(readFileSync(file)).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.57');
    const r = await storescu(n.port, [file], { args: ['-xf', singleSyntaxProfile(out, '1.2.840.10008.1.2.4.57'), 'OneSyntax'] });
    expect(r.code).toBe(0);
    expect(r.successes).toBe(1);
    const [stored] = await n.node.studies.listInstances(PHANTOM_STUDY, 1);
    expect(stored.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.57');
    expect(datasetOf(stored.path).equals(datasetOf(file))).toBe(true);
  });

  it('refuses a context that offers only JPEG baseline (lossy 8-bit), which cannot carry CT numbers', async () => {
    const out = tempDir('jpeg50');
    const file = join(out, 'ct.dcm');
    // 8 bits of a 16-bit CT: dcmcjpeg +eb needs the image reduced first; any baseline file will do for the negotiation.
    expect((await run('dcmcjpeg', ['+eb', '+un', '+sr', join(PHANTOM_CT, 'DCM_IMG_00001.dcm'), file])).code).toBe(0);
    expect(readFileMeta(readFileSync(file)).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.50');
    const before = n.audit.filter((e) => e.event === 'instance.stored').length;
    const r = await storescu(n.port, [file], { args: ['-xf', singleSyntaxProfile(out, '1.2.840.10008.1.2.4.50'), 'OneSyntax'] });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/No Acceptable Presentation Contexts/);
    const refused = n.audit.find((e) => e.event === 'context.refused');
    expect(refused).toMatchObject({ count: 1, reason: 'CT Image (no transfer syntax we can decode)' });
    expect(n.audit.filter((e) => e.event === 'instance.stored')).toHaveLength(before);
  });
});
