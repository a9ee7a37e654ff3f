/** `cd8-node features --batch DIR`: a folder of studies analysed offline into the research table. */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CommandIo } from './command';
import { commandConfig } from './commandConfig';
import { loadScoringSetup, SetupError } from '../pipeline/setup';
import { analyseStudyFiles } from '../pipeline/analyseFiles';
import { ImagingError } from '../imaging/load';
import { errorText } from '../ops/errorText';
import { hashedId } from '../ops/logger';
import { lesionCsv, lesionRows, LesionRow } from '../signature/lesionTable';

/** RT Structure Set Storage: found in the file meta of the first bytes, without parsing the file. */
const RTSTRUCT_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.481.3';

async function isRtstruct(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const head = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const text = head.toString('latin1', 0, bytesRead);
    // Media Storage SOP Class UID, padded to even length with a NUL.
    return text.slice(128, 132) === 'DICM' && new RegExp(`${RTSTRUCT_SOP_CLASS.replace(/\./g, '\\.')}(\0|$)`).test(text.slice(132, 400));
  } finally {
    await fh.close();
  }
}

/** Files below `dir`, linked folders followed (once each: a link loop ends). */
async function filesBelow(dir: string, seen = new Set<string>()): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, e.name);
    const kind = e.isSymbolicLink() ? await stat(path).catch(() => undefined) : e;
    if (kind?.isDirectory()) out.push(...(await filesBelow(path, seen)));
    else if (kind?.isFile()) out.push(path);
  }
  return out;
}

/** Studies of a batch folder: each sub-folder with an RTSTRUCT below it. */
export async function batchStudies(dir: string): Promise<Array<{ name: string; dir: string; rtstructs: string[]; images: string[] }>> {
  const subdirs: string[] = [];
  // A linked study folder counts as one.
  for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory() || (e.isSymbolicLink() && (await stat(join(dir, e.name))).isDirectory())) subdirs.push(e.name);
  subdirs.sort();
  const studies = [];
  for (const name of subdirs) {
    const files = await filesBelow(join(dir, name));
    const rtstructs = [];
    const images = [];
    for (const f of files) (await isRtstruct(f)) ? rtstructs.push(f) : images.push(f);
    studies.push({ name, dir: join(dir, name), rtstructs, images });
  }
  return studies;
}

function progress(done: number, total: number, label: string): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} ${label}`.padEnd(80);
}

export async function featuresBatch(dir: string, values: { config?: string; signature?: string }, io: CommandIo): Promise<number> {
  const loaded = commandConfig(values.config, io, 'cd8-node features --batch');
  if (!loaded) return 1;
  let setup;
  try {
    setup = loadScoringSetup(loaded.config, values.signature);
  } catch (e) {
    if (e instanceof SetupError) {
      io.err(`cd8-node features --batch: ${e.message}`);
      return 1;
    }
    throw e;
  }
  let studies;
  try {
    studies = await batchStudies(dir);
  } catch (e) {
    io.err(`cd8-node features --batch: cannot read ${dir}: ${errorText(e)}`);
    return 1;
  }
  // A bar only on a terminal: a log file or a pipe gets the summary lines alone.
  const tty = process.stderr.isTTY === true;
  const problems: string[] = [];
  const rows: LesionRow[] = [];
  for (let i = 0; i < studies.length; i++) {
    const s = studies[i];
    if (tty) process.stderr.write(progress(i, studies.length, s.name));
    if (s.rtstructs.length === 0) {
      problems.push(`${s.name}: no RTSTRUCT below ${s.dir}; skipped.`);
      continue;
    }
    if (s.rtstructs.length > 1) problems.push(`${s.name}: ${s.rtstructs.length} RTSTRUCTs; ${basename(s.rtstructs[0])} used, the others left out.`);
    try {
      const { analysis } = await analyseStudyFiles(s.images, s.rtstructs[0], loaded.config, setup, { version: 1, cohortScores: [], analysedAt: new Date().toISOString() });
      const before = rows.length;
      rows.push(...lesionRows([analysis], hashedId));
      if (rows.length === before) problems.push(`${s.name}: no lesion with features (${analysis.problems.map((p) => p.message).join(' ') || analysis.lesions.map((l) => l.reason).join(' ')}).`);
    } catch (e) {
      if (!(e instanceof ImagingError)) throw e;
      problems.push(`${s.name}: the study cannot be used: ${e.problems.map((p) => `[${p.code}] ${p.message}`).join('; ')}`);
    }
  }
  if (tty) process.stderr.write(`${progress(studies.length, studies.length, 'done')}\n`);
  io.out(lesionCsv(rows).trimEnd());
  for (const p of problems) io.err(`cd8-node features --batch: ${p}`);
  io.err(`cd8-node features --batch: ${rows.length} lesion${rows.length === 1 ? '' : 's'} from ${studies.length} stud${studies.length === 1 ? 'y' : 'ies'} in ${dir}.`);
  return rows.length > 0 ? 0 : 1;
}
