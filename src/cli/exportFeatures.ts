import { Command, UsageError } from './command';
import { parseOfflineCommand } from './studyFiles';
import { commandStorage } from './commandStorage';
import { hashedId } from '../ops/logger';
import { SITES } from '../cd8/signatureSchema';
import { lesionCsv, LesionRow, lesionRows } from '../signature/lesionTable';

export const exportFeaturesCommand: Command = {
  words: ['export', 'features'],
  summary: 'research export: one CSV row per analysed lesion with every tumour and ring feature',
  help: `Usage: cd8-node export features [--since DATE] [--site S] [--config FILE] > lesions.csv

Writes to standard output one CSV row per lesion the node has analysed (the
latest version of each study): lesion_id (the lesion's tracking UID), study_uid,
patient (a hash of the patient ID, never the ID itself), tracking_id, site,
volume_ml, kvp, flags (quality flag codes, ";"-separated), analysed_at,
signature (name and version the lesion was analysed under: its radiomics
settings made the features), then
every feature of the tumour and of its peritumoral ring by IBSI key, e.g.
"tumour:stat_mean", "ring:cm_contrast[3D merged]" (empty = undefined for that
lesion). This is the --features input of "cd8-node signature fit" and
"signature validate". Reads the node's database (the SQLite index in
storage.dataDir, or PostgreSQL when database.url names it) while the node
runs; changes nothing.

Options:
  --since DATE    only studies analysed on or after DATE (YYYY-MM-DD, UTC, or ISO 8601)
  --site S        only lesions of site S (${SITES.join(', ')})
  --config FILE   configuration of the node (for storage.dataDir and database.url)`,
  async run(args, io) {
    const values = parseOfflineCommand(exportFeaturesCommand, args, io, { since: { type: 'string' }, site: { type: 'string' }, config: { type: 'string', short: 'c' } });
    if (typeof values === 'number') return values;
    let sinceMs = 0;
    if (values.since !== undefined) {
      sinceMs = /^\d{4}-\d{2}-\d{2}$/.test(values.since) ? Date.parse(`${values.since}T00:00:00Z`) : Date.parse(values.since);
      if (!Number.isFinite(sinceMs)) throw new UsageError(`--since takes a date (YYYY-MM-DD or ISO 8601), not "${values.since}".`);
    }
    if (values.site !== undefined && !(SITES as readonly string[]).includes(values.site)) throw new UsageError(`--site must be one of ${SITES.join(', ')}, not "${values.site}".`);
    const opened = await commandStorage(values.config, io, 'cd8-node export features');
    if (!opened) return 1;
    const { storage } = opened;
    try {
      // Rows (features only) are kept, each analysis's JSON dropped as soon as it is read.
      const rows: LesionRow[] = [];
      for await (const a of storage.results.latest(sinceMs)) rows.push(...lesionRows([a], hashedId).filter((r) => values.site === undefined || r.site === values.site));
      io.out(lesionCsv(rows).trimEnd());
      io.err(`cd8-node export features: ${rows.length} lesion${rows.length === 1 ? '' : 's'} exported from ${storage.location}.`);
      return 0;
    } finally {
      await storage.close();
    }
  },
};
