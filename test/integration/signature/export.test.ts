/**
 * The research export: `cd8-node export features` from the node's results, in the embedded SQLite
 * index and in a PostgreSQL database (a real server), and `cd8-node features --batch` over a
 * folder of studies; both write the same lesion table.
 */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, freePort, run, runCli, SHARED } from '../../support/process';
import { nextVersion, scoredStudy } from '../../support/studyFixtures';
import { openStorage } from '../../../src/db/storage';
import { LATEST_PAGE } from '../../../src/results/resultStore';
import { startPostgres, TestPostgres } from '../../support/postgres';
import { parseCsv } from '../../../src/signature/csv';
import { readLesionTable } from '../../../src/signature/lesionTable';
import type { StudyAnalysis } from '../../../src/results/types';

function withFeatures(a: StudyAnalysis, studyUid: string, patientId: string, site: 'liver' | 'lung', shift: number): StudyAnalysis {
  return {
    ...a,
    patient: { ...a.patient, patientId },
    study: { ...a.study, studyInstanceUid: studyUid },
    lesions: a.lesions.map((l, i) => ({
      ...l,
      trackingUid: `${studyUid}.${l.roiNumber}`,
      site,
      features: { tumour: { stat_mean: 40 + shift + i, 'cm_contrast[3D merged]': 2.5 + i, ih_skew: i === 1 ? NaN : 0.1 }, ring: { stat_mean: -20 + shift } },
    })),
  };
}

/** A node's database with `analyses` saved: SQLite in a new data directory, or a new PostgreSQL database. */
async function databaseWith(engine: 'sqlite' | 'postgres', analyses: StudyAnalysis[]): Promise<NodeJS.ProcessEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-export-'));
  const url = engine === 'postgres' ? await pg!.createDatabase() : '';
  const storage = await openStorage({ url, dataDir });
  try {
    for (const a of analyses) await storage.results.save(a);
  } finally {
    await storage.close();
  }
  return { CD8_DATA_DIR: dataDir, CD8_DATABASE_URL: url };
}

let pg: TestPostgres | undefined;
afterAll(async () => {
  await pg?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('cd8-node export features (%s)', (engine) => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    if (engine === 'postgres') pg = await startPostgres();
    env = await databaseWith(engine, [
      withFeatures(scoredStudy(), '1.2.3.1', 'PAT-ONE', 'lung', 0),
      // A newer version of the same study replaces the old one in the export.
      nextVersion(withFeatures(scoredStudy(), '1.2.3.1', 'PAT-ONE', 'lung', 100)),
      withFeatures(scoredStudy(), '1.2.3.2', 'PAT-TWO', 'liver', 7),
    ]);
  }, 120000);

  it('one row per lesion of the latest version of each study, identity columns then tumour and ring features by IBSI key', async () => {
    const r = await runCli(['export', 'features'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(engine === 'sqlite' ? /6 lesions exported from .*index\.sqlite\./ : /6 lesions exported from postgres:\/\/postgres@127\.0\.0\.1:\d+\/cd8_test_\w+\./);
    const t = parseCsv(r.stdout, 'export');
    expect(t.header).toEqual(['lesion_id', 'study_uid', 'patient', 'tracking_id', 'site', 'volume_ml', 'kvp', 'flags', 'analysed_at', 'signature', 'tumour:cm_contrast[3D merged]', 'tumour:ih_skew', 'tumour:stat_mean', 'ring:stat_mean']);
    const rows = readLesionTable(t, 'export');
    expect(rows.map((x) => x.lesionId)).toEqual(['1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3', '1.2.3.2.1', '1.2.3.2.2', '1.2.3.2.3']);
    expect(rows[0]).toMatchObject({ studyUid: '1.2.3.1', trackingId: '1 GTV-1', site: 'lung', flags: ['missing-kvp'], features: { 'tumour:stat_mean': 140, 'ring:stat_mean': 80 } });
    const { name, version } = scoredStudy().signature;
    expect(rows.every((x) => x.signature === `${name} ${version}`)).toBe(true);
    expect(Number.isNaN(rows[1].features['tumour:ih_skew'])).toBe(true);
    // The patient is a hash, never the ID.
    expect(r.stdout).not.toMatch(/PAT-ONE|PAT-TWO/);
    expect(rows[0].patient).toMatch(/^[0-9a-f]{12}$/);
    expect(rows[0].patient).not.toBe(rows[3].patient);
  });

  it('--site and --since select lesions; bad values are refused with the accepted ones', async () => {
    const liver = await runCli(['export', 'features', '--site', 'liver'], env);
    expect(readLesionTable(parseCsv(liver.stdout, 'x'), 'x').map((x) => x.site)).toEqual(['liver', 'liver', 'liver']);
    const future = await runCli(['export', 'features', '--since', '2999-01-01'], env);
    expect(future.stderr).toMatch(/0 lesions exported/);
    const today = await runCli(['export', 'features', '--since', new Date(Date.now() - 3600e3).toISOString()], env);
    expect(today.stderr).toMatch(/6 lesions exported/);
    const badDate = await runCli(['export', 'features', '--since', 'last week'], env);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/--since takes a date \(YYYY-MM-DD or ISO 8601\), not "last week"\./);
    const badSite = await runCli(['export', 'features', '--site', 'kidney'], env);
    expect(badSite.code).toBe(2);
    expect(badSite.stderr).toMatch(/--site must be one of liver, lung, lymph_node, head_and_neck, other, unknown, not "kidney"\./);
  });

  it('reads every study when they fill several pages', async () => {
    const many = Array.from({ length: LATEST_PAGE + 7 }, (_, i) => withFeatures(scoredStudy(), `1.2.4.${i + 1}`, `PAT-${i}`, 'liver', i));
    const r = await runCli(['export', 'features'], await databaseWith(engine, many));
    expect(r.code).toBe(0);
    const rows = readLesionTable(parseCsv(r.stdout, 'export'), 'export');
    expect(rows).toHaveLength(3 * (LATEST_PAGE + 7));
    expect(new Set(rows.map((x) => x.studyUid)).size).toBe(LATEST_PAGE + 7);
  }, 120000);

  it(engine === 'sqlite' ? 'says so when the node has no data directory yet' : 'says so when the database cannot be reached', async () => {
    const r = await runCli(['export', 'features'], engine === 'sqlite' ? { ...env, CD8_DATA_DIR: join(String(env.CD8_DATA_DIR), 'nowhere') } : { ...env, CD8_DATABASE_URL: `postgres://cd8@127.0.0.1:${await freePort()}/cd8` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(engine === 'sqlite' ? /^cd8-node export features: .*nowhere/ : /^cd8-node export features: .*127\.0\.0\.1/);
    expect(r.stdout).toBe('');
  }, 60000);
});

describe('cd8-node features --batch', () => {
  it('analyses every study folder offline into the lesion table; folders without an RTSTRUCT are reported, no progress bar off a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-batch-'));
    symlinkSync(join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom'), join(dir, 'phantom'));
    mkdirSync(join(dir, 'empty'));
    const r = await runCli(['features', '--batch', dir], {}, { timeoutMs: 150000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/empty: no RTSTRUCT below .*empty; skipped\./);
    expect(r.stderr).toMatch(/1 lesion from 2 studies in /);
    expect(r.stderr).not.toMatch(/\r\[/);
    const rows = readLesionTable(parseCsv(r.stdout, 'batch'), 'batch');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trackingId: '1 GTV-1', kvp: null, flags: expect.arrayContaining(['missing-kvp']), signature: 'CD8 radiomic score 2018-structure-only' });
    expect(rows[0].features['tumour:stat_mean']).toBeGreaterThan(-200);
    expect(Object.keys(rows[0].features).filter((k) => k.startsWith('ring:')).length).toBeGreaterThan(100);
    // On a terminal (script(1) gives it one) the same run draws a progress bar on standard error.
    const tty = await run('script', ['-qec', `${process.execPath} ${CLI} features --batch ${join(dir, 'empty')}/.. > /dev/null`, '/dev/null'], { timeoutMs: 150000 });
    expect(tty.stdout).toMatch(/\r\[ {30}\] 0\/2 empty/);
    expect(tty.stdout).toMatch(/\r\[#{30}\] 2\/2 done/);
    const mixed = await runCli(['features', '--batch', dir, '--roi', 'GTV-1']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--batch takes no --roi: the signature's settings and the lesion rules apply\./);
  }, 180000);
});
