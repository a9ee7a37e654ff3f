/** "Send this study's results again", as `cd8-node resend` and the console's Resend button do it. */
import type { Outbox, OutboxRow } from './outbox';

export type ResendOutcome = { ok: true; lines: string[]; rows: OutboxRow[] } | { ok: false; message: string };

/** Re-triggers the study's rows and says, per row, what happened to it. */
export async function resendStudy(outbox: Outbox, studyUid: string, includeSent: boolean): Promise<ResendOutcome> {
  const before = await outbox.forStudy(studyUid);
  if (before.length === 0) {
    return { ok: false, message: `the outbox has no message for study ${studyUid}. Check the UID with "cd8-node status"; a study still being processed has nothing to send yet.` };
  }
  const rows = await outbox.resend(studyUid, { includeSent });
  const lines = rows.map((r) => {
    const was = before.find((b) => b.id === r.id)?.state;
    const action = r.state === 'pending' && was !== 'pending' ? `queued again (was ${was})` : r.state === 'pending' ? 'queued, trying now' : `left alone (${r.state})`;
    return `${r.description} v${r.studyVersion} → ${r.destination}: ${action}`;
  });
  return { ok: true, lines, rows };
}
