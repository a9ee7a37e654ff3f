/**
 * A new node's spare has no real study to rehearse: it writes a small synthetic CT + RTSTRUCT to a
 * private temporary directory, rehearses it like a real study and removes the directory, whatever
 * happens; a job that arrives meanwhile ends it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema';
import { imagingStudyParts, planImagingStudy } from '../../../src/imaging/load';
import { lesionRingOutsideBody } from '../../../src/cd8/scoreStudy';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { analyseStudyFiles, loadMarginMm } from '../../../src/pipeline/analyseFiles';
import {
  makeSyntheticStudyDir,
  ORPHAN_MIN_AGE_MS,
  rehearseSyntheticStudy,
  removeOrphanedSyntheticStudyDirs,
  SYNTHETIC_DIR_PREFIX,
  writeSyntheticStudy,
} from '../../../src/pipeline/syntheticRehearsal';
import { UNHURRIED_REHEARSAL_S } from '../../support/rehearsal';

const config = configSchema.defaultValue();
const scratch = mkdtempSync(join(tmpdir(), 'cd8-synthetic-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the synthetic study', () => {
  it('is a CT series and an RTSTRUCT the analysis reads, with one GTV of ~33 ml whose ring leaves the body', async () => {
    const dir = mkdtempSync(join(scratch, 'study-'));
    const { ctFiles, rtstructFile } = (await writeSyntheticStudy(dir))!;
    expect(ctFiles).toHaveLength(40);
    const setup = loadScoringSetup(config);
    const { analysis } = await analyseStudyFiles(ctFiles, rtstructFile, config, setup, { version: 1, cohortScores: [], analysedAt: '2000-01-01T00:00:00Z' });
    expect(analysis.patient).toMatchObject({ patientName: 'SYNTHETIC^REHEARSAL', patientId: 'CD8-NODE-REHEARSAL' });
    expect(analysis.lesions).toHaveLength(1);
    const [lesion] = analysis.lesions;
    expect(lesion.roiName).toBe('GTV-1');
    expect(lesion.volumeMl).toBeGreaterThan(30);
    expect(lesion.volumeMl).toBeLessThan(37);
    // Every feature of tumour and ring is computed (the default signature is not yet verified, so no score).
    expect(Object.keys(lesion.features!.tumour).length).toBeGreaterThan(50);
    expect(Object.keys(lesion.features!.ring).length).toBeGreaterThan(50);
    // Part of the ring lies in room air: the ring-outside-body check traces the body's edge.
    const planned = await planImagingStudy(ctFiles, rtstructFile, { rules: config.lesions, marginMm: loadMarginMm(config, setup), sliceSpacingToleranceMm: config.imaging.sliceSpacingToleranceMm });
    for await (const part of imagingStudyParts(planned)) {
      const fraction = lesionRingOutsideBody(part.lesions[0], setup.radiomics);
      expect(fraction).toBeGreaterThan(0);
      expect(fraction).toBeLessThan(0.5);
    }
  }, 60000);
});

describe('a synthetic rehearsal', () => {
  it('analyses the study once and removes its directory', async () => {
    const dir = makeSyntheticStudyDir();
    expect(dir.startsWith(join(tmpdir(), `${SYNTHETIC_DIR_PREFIX}${process.pid}-`))).toBe(true);
    expect(await rehearseSyntheticStudy(config, dir, () => false, undefined, UNHURRIED_REHEARSAL_S)).toBe(1);
    expect(existsSync(dir)).toBe(false);
  }, 60000);

  it('gives up when a job is waiting, while it writes or once the files are read, and still removes its directory', async () => {
    // Asked before each CT slice it writes: a job that is waiting stops it there.
    for (const waitingFrom of [0, 10]) {
      const dir = makeSyntheticStudyDir();
      let asked = 0;
      expect(await rehearseSyntheticStudy(config, dir, () => asked++ >= waitingFrom)).toBe(0);
      expect(asked).toBe(waitingFrom + 1);
      expect(existsSync(dir)).toBe(false);
    }
    // The job comes once the files are written, while they are read: asked before the lesions, the rehearsal stops.
    // (Asked before each of the 40 slices, once they are written, before the analysis and before its lesions.)
    const during = makeSyntheticStudyDir();
    let asked = 0;
    const beforeLesions = 40 + 2;
    expect(await rehearseSyntheticStudy(config, during, () => asked++ >= beforeLesions, undefined, UNHURRIED_REHEARSAL_S)).toBe(0);
    expect(asked).toBe(beforeLesions + 1);
    expect(existsSync(during)).toBe(false);
  }, 60000);

  it('fails quietly when the study cannot be written (only an optimisation), leaving nothing behind', async () => {
    // A file where the directory should be: every write fails.
    const notADir = join(scratch, 'file');
    writeFileSync(notADir, '');
    await expect(rehearseSyntheticStudy(config, notADir)).resolves.toBe(0);
    expect(existsSync(notADir)).toBe(false);
  });
});

describe('the synthetic studies a killed node left behind', () => {
  const old = (dir: string) => {
    const t = new Date(Date.now() - ORPHAN_MIN_AGE_MS - 60_000);
    utimesSync(dir, t, t);
    return dir;
  };
  const made = (parent: string, name: string) => {
    mkdirSync(join(parent, name));
    return join(parent, name);
  };

  it("are removed: this user's directories, old enough, of processes that no longer run or named by an earlier version; never a running one's nor anything else", async () => {
    const parent = mkdtempSync(join(scratch, 'tmp-'));
    // Left by a process that no longer runs (PIDs above the kernel's maximum, 4194304, never do).
    const left = made(parent, `${SYNTHETIC_DIR_PREFIX}4194305-Xy98zw`);
    writeFileSync(join(left, 'ct000.dcm'), 'DICM');
    old(left);
    // Named with this process's ID but not made by it: an earlier process with the same ID (a container's PID 1).
    const samePidBefore = old(made(parent, `${SYNTHETIC_DIR_PREFIX}${process.pid}-Ab12cd`));
    // Named by an earlier version, without a process ID: old enough, it is a leftover whoever made it.
    const unnumbered = old(made(parent, `${SYNTHETIC_DIR_PREFIX}Ab12cd`));
    const stay = [
      old(makeSyntheticStudyDir(parent)), // this process's own
      old(made(parent, `${SYNTHETIC_DIR_PREFIX}1-abcdef`)), // PID 1 always runs
      made(parent, `${SYNTHETIC_DIR_PREFIX}4194306-Qr56st`), // too recent: its process may run where this one cannot see it
      made(parent, `${SYNTHETIC_DIR_PREFIX}Ef34gh`), // without a process ID and too recent
      old(made(parent, `${SYNTHETIC_DIR_PREFIX}Ab12cd-x`)), // neither name this code gives
      old(made(parent, 'something-else-12-')),
    ];
    symlinkSync(left, join(parent, `${SYNTHETIC_DIR_PREFIX}4194307-link`)); // a link is never followed nor removed
    stay.push(join(parent, `${SYNTHETIC_DIR_PREFIX}4194307-link`));
    writeFileSync(join(parent, `${SYNTHETIC_DIR_PREFIX}4194308-file`), ''); // nor a file
    stay.push(join(parent, `${SYNTHETIC_DIR_PREFIX}4194308-file`));

    expect(await removeOrphanedSyntheticStudyDirs(parent)).toBe(3);
    const names = (paths: string[]) => paths.map((p) => p.slice(parent.length + 1)).sort();
    expect(readdirSync(parent).sort()).toEqual(names(stay));
    expect(existsSync(samePidBefore)).toBe(false);
    expect(existsSync(unnumbered)).toBe(false);
    // Whether a process runs is asked of the system; told that none does, PID 1's old directory goes too.
    expect(await removeOrphanedSyntheticStudyDirs(parent, { runs: () => false })).toBe(1);
    expect(existsSync(stay[1])).toBe(false);
    // No such directory: nothing to do, no error.
    await expect(removeOrphanedSyntheticStudyDirs(join(parent, 'missing'))).resolves.toBe(0);
  });
});
