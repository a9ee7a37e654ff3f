/**
 * The console's pages as HTML, from data the routes gathered: no I/O here. Patient identities
 * appear only where `showIdentity` is set (admin); elsewhere the Patient ID is hashed as in the logs.
 */
import type { StudyInstance, StudyVersionSummary } from '../study/types';
import type { LesionResult, StudyAnalysis } from '../results/types';
import type { OutboxRow, OutboxState, OutboxStatus } from '../outbox/outbox';
import type { ReadinessResult } from '../ops/http';
import type { NodeStatus, StudyStatus } from '../ops/studyStatus';
import type { ConfigValueRow, ConfigVerdict } from '../config/verdict';
import type { AuditLine } from '../ops/auditSearch';
import type { Principal, Role } from './auth';
import { clock, nodeStateLine, stateLine } from '../ops/studyStatus';
import { Html, html, csrfField, num } from './html';
import { FeatureRow } from './features';

const when = (ms: number | null | undefined) => (ms ? clock(new Date(ms)) : '–');
const stateBadge = (state: string) => html`<span class="state state-${state}">${state}</span>`;
const studyLink = (uid: string) => html`<a class="uid" href="/studies/${encodeURIComponent(uid)}">${uid}</a>`;
const isAdmin = (p: Principal | undefined) => p?.role === 'admin';
/** Long reasons (an incomplete signature lists every pending value) cut for tables; the full text is on the study page. */
const short = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

// --- Overview -------------------------------------------------------------------------------

export interface OverviewData {
  health: ReadinessResult;
  jobs: Record<string, number>;
  /** The nodes sharing the database (PostgreSQL); empty for a node on its own SQLite file. */
  nodes: NodeStatus[];
  today: { received: number; processed: number; failed: number; sent: number; waiting: number; resultsFailed: number };
  outbox: OutboxStatus['counts'];
  studies: StudyStatus[];
  at: Date;
}

export function overviewFragment(d: OverviewData): Html {
  const card = (label: string, n: number | string, cls = '') => html`<div class="card"><div class="n ${cls}">${n}</div><div>${label}</div></div>`;
  return html`<h2>Health</h2>
<table aria-label="Health"><tbody>
${Object.entries(d.health.checks).map(([name, v]) => html`<tr><th scope="row">${name}</th><td class="${v === 'ok' ? 'ok' : 'bad'}">${v}</td></tr>`)}
<tr><th scope="row">worker</th><td>${Object.entries(d.jobs).map(([s, n]) => `${n} ${s}`).join(', ')} job(s)</td></tr>
</tbody></table>
${d.nodes.length === 0 ? '' : html`<h2>Nodes</h2>
<table id="nodes"><thead><tr><th>Node</th><th>State</th><th class="num">Jobs running</th><th>Host</th><th class="num">DICOM port</th><th class="num">HTTP port</th></tr></thead><tbody>
${d.nodes.map((n) => html`<tr data-node="${n.nodeId}"><td>${n.nodeId}</td><td class="${n.alive ? 'ok' : 'bad'}">${nodeStateLine(n)}</td><td class="num">${n.runningJobs}</td><td>${n.host}</td><td class="num">${n.dicomPort ?? '–'}</td><td class="num">${n.httpPort ?? '–'}</td></tr>`)}
</tbody></table>`}
<h2>Today</h2>
<div class="cards" id="today">
${card('studies received', d.today.received)}${card('study versions analysed', d.today.processed, 'ok')}${card('studies failed', d.today.failed, d.today.failed > 0 ? 'bad' : '')}
${card('results sent', d.today.sent, 'ok')}${card('results waiting', d.today.waiting, d.today.waiting > 0 ? 'warn' : '')}${card('results failed', d.today.resultsFailed, d.today.resultsFailed > 0 ? 'bad' : '')}
</div>
<h2>Last studies</h2>
${d.studies.length === 0 ? html`<p>No study received yet.</p>` : html`<table id="studies"><thead><tr><th>Study</th><th>Version</th><th>State</th><th>Received</th><th class="num">Instances</th><th>Outcome</th></tr></thead><tbody>
${d.studies.map(
  (s) => html`<tr data-study="${s.studyInstanceUid}"><td>${studyLink(s.studyInstanceUid)}</td><td>${s.version}</td><td>${stateBadge(s.state)}<div class="muted" title="${stateLine(s)}">${short(stateLine(s), 140)}</div></td><td>${clock(s.lastReceivedAt)}</td><td class="num">${s.instanceCount}</td><td>${s.analysis ? lesionSummary(s.analysis.lesions) : '–'}</td></tr>`,
)}</tbody></table>`}
<p class="live-note">Outbox: ${d.outbox.pending} pending, ${d.outbox.sending} sending, ${d.outbox.failed} failed, ${d.outbox.sent} sent · updated ${clock(d.at)}</p>`;
}

function lesionSummary(lesions: Pick<LesionResult, 'score' | 'classification'>[]): string {
  const scored = lesions.filter((l) => l.score !== null);
  return `${lesions.length} lesion(s), ${scored.length} scored${scored.length ? `: ${scored.map((l) => num(l.score, 3) + (l.classification ? ` (${l.classification})` : '')).join(', ')}` : ''}`;
}

export function overviewBody(d: OverviewData): Html {
  return html`<form method="get" action="/studies" class="find"><label>Open a study by its UID <input name="uid" maxlength="64" size="50" class="uid" required></label> <button type="submit">Open</button></form>
<p id="live-status" class="warn" role="status"></p>
<div id="overview" data-live="/fragments/overview" data-interval="2">${overviewFragment(d)}</div>`;
}

// --- Study ----------------------------------------------------------------------------------

export interface StudyPageData {
  uid: string;
  /** Every version, newest first, with its analysis when it has one. */
  versions: Array<{ summary: StudyVersionSummary; analysis?: StudyAnalysis }>;
  /** The version the page details (the current one unless ?version= asks for another). */
  shown: { summary: StudyVersionSummary; analysis?: StudyAnalysis };
  /** Which of the report's summary page (PNG) and PDF exist for the shown version. */
  reports: { summary: boolean; pdf: boolean };
  series: Array<{ seriesInstanceUid: string; modality: string; seriesNumber?: number; instances: number }>;
  /** The instances of the shown version (at most MAX_INSTANCES_SHOWN of them), and how many there are. */
  instances: { rows: StudyInstance[]; total: number };
  outbox: OutboxRow[];
  /** Feature rows of each lesion of the current analysis, by lesion index. */
  features: FeatureRow[][];
  principal: Principal;
  /** The hashed Patient ID (always) and, for admins, the identity. */
  patientHash: string;
}

export function studyBody(d: StudyPageData): Html {
  const s = d.shown.summary;
  const a = d.shown.analysis;
  const identity = isAdmin(d.principal) && a ? html`${a.patient.patientName || '(no name)'} · Patient ID ${a.patient.patientId}` : html`${d.patientHash} <span class="muted">(hashed Patient ID)</span>`;
  return html`<dl class="facts">
<dt>Study Instance UID</dt><dd class="uid">${d.uid}</dd>
<dt>Patient</dt><dd>${identity}</dd>
${s.studyDate ? html`<dt>Study date</dt><dd>${s.studyDate}</dd>` : ''}
<dt>Version</dt><dd>${s.version}${s.superseded ? html` (superseded: <a href="/studies/${encodeURIComponent(d.uid)}">see the current version</a>)` : ''}</dd>
<dt>State</dt><dd>${stateBadge(s.state)} ${stateLine(s)}</dd>
<dt>Received</dt><dd>${s.instanceCount} instance(s) in ${s.seriesCount} series (${s.ctImageCount} CT, ${s.rtstructCount} RTSTRUCT), ${clock(s.firstReceivedAt)} – ${clock(s.lastReceivedAt)}</dd>
<dt>Readiness</dt><dd>${s.readyReason === 'references-complete' ? 'every image its RTSTRUCT references has arrived' : s.readyReason === 'stable-age' ? 'nothing new arrived for the stable age' : 'not ready yet'}</dd>
</dl>
${s.notes.length > 0 ? html`<h2>Notes</h2><ul>${s.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
<h2>Series received</h2>
<table><thead><tr><th>Series Instance UID</th><th>Modality</th><th class="num">Series number</th><th class="num">Instances</th></tr></thead><tbody>
${d.series.map((x) => html`<tr><td class="uid">${x.seriesInstanceUid}</td><td>${x.modality}</td><td class="num">${x.seriesNumber ?? '–'}</td><td class="num">${x.instances}</td></tr>`)}
</tbody></table>
<details><summary>Instances (${d.instances.total}${d.instances.rows.length < d.instances.total ? `, first ${d.instances.rows.length} shown` : ''})</summary>
<div class="scroll"><table><thead><tr><th>SOP Instance UID</th><th>Modality</th><th class="num">Instance</th><th>Transfer syntax</th><th>From</th><th>Received</th></tr></thead><tbody>
${d.instances.rows.map((i) => html`<tr><td class="uid">${i.sopInstanceUid}</td><td>${i.modality ?? ''}</td><td class="num">${i.instanceNumber ?? '–'}</td><td class="uid">${i.transferSyntaxUid}</td><td>${i.callingAeTitle}</td><td>${clock(i.receivedAt)}</td></tr>`)}
</tbody></table></div></details>
<h2>Processing history</h2>
<table><thead><tr><th>Version</th><th>State</th><th>Instances</th><th>Outcome</th></tr></thead><tbody>
${d.versions.map(
  (v) => html`<tr${new Html(v.summary.version === s.version ? ' aria-current="true"' : '')}><td><a href="/studies/${encodeURIComponent(d.uid)}?version=${v.summary.version}">${v.summary.version}</a>${v.summary.superseded ? ' (superseded)' : ''}</td><td>${stateBadge(v.summary.state)} ${clock(v.summary.updatedAt)}</td><td>${v.summary.instanceCount}</td><td>${v.analysis ? (v.analysis.status === 'scored' ? lesionSummary(v.analysis.lesions) : `not scored: ${v.analysis.problems.map((p) => p.message).join(' ') || 'no lesion could be scored'}`) : '–'}</td></tr>`,
)}</tbody></table>
${a ? analysisSection(d, a, s.version) : html`<p>No analysis for version ${s.version} yet.</p>`}
<h2>Results in the outbox</h2>
${outboxTable(d.outbox, d.principal, false)}
${isAdmin(d.principal) && d.outbox.length > 0 ? html`<form method="post" action="/studies/${encodeURIComponent(d.uid)}/resend">${csrfField(d.principal)}<label><input type="checkbox" name="includeSent" value="1"> also what was already sent</label> <button type="submit">Resend this study's results</button></form>` : ''}`;
}

function analysisSection(d: StudyPageData, a: StudyAnalysis, version: number): Html {
  const base = `/studies/${encodeURIComponent(d.uid)}/versions/${version}`;
  return html`<h2>Lesions (version ${version}, ${a.signature.name} ${a.signature.version}${a.signature.complete ? '' : ', signature incomplete'})</h2>
<p>Download every feature: <a href="${base}/features.csv" download>CSV</a> · <a href="${base}/features.json" download>JSON</a>.${d.reports.summary ? html` <a href="${base}/report.png">Summary page</a>.` : ''}${d.reports.pdf ? html` <a href="${base}/report.pdf">PDF report</a>.` : ''} Cut-off: ${a.signature.threshold.value === null ? 'none' : num(a.signature.threshold.value)} (${a.signature.threshold.provenance}).</p>
${a.problems.length > 0 ? html`<ul>${a.problems.map((p) => html`<li class="bad">${p.message}</li>`)}</ul>` : ''}
${a.lesions.map((l, i) => lesionSection(l, i, base, d.features[i] ?? []))}`;
}

function lesionSection(l: LesionResult, i: number, base: string, features: FeatureRow[]): Html {
  const tableId = `features-${i}`;
  return html`<section class="lesion" aria-labelledby="lesion-${i}">
<div>${l.outline ? html`<a href="${base}/lesions/${i}/picture.png" title="Open the picture at full size"><img src="${base}/lesions/${i}/picture.png" alt="Key slice of ${l.trackingId} with its contour"></a>` : html`<p class="muted">No outline recorded for this lesion.</p>`}</div>
<div><h3 id="lesion-${i}">${l.trackingId}</h3>
<dl class="facts">
<dt>Site</dt><dd>${l.site} <span class="muted">(${l.siteSource})</span></dd>
<dt>Volume</dt><dd>${num(l.volumeMl)} ml (${l.voxelCount} voxels)</dd>
<dt>CD8 score</dt><dd>${l.score !== null ? html`<strong>${num(l.score)}</strong>${l.classification ? ` (${l.classification})` : ''}` : html`<span class="warn">none: ${l.reason ?? l.scoreStatus}</span>`}</dd>
<dt>Flags</dt><dd>${l.flags.length === 0 ? 'none' : html`<ul>${l.flags.map((f) => html`<li><strong>${f.code}</strong> (${f.action}): ${f.message}</li>`)}</ul>`}</dd>
</dl>
<h3>Signature terms</h3>
<table><thead><tr><th>Term</th><th>IBSI name</th><th>Region</th><th class="num">Value</th><th class="num">Coefficient</th><th class="num">Contribution</th></tr></thead><tbody>
${l.terms.map(
  (t) => html`<tr><td>${t.name}${t.ibsiCode ? html` <span class="muted">${t.ibsiCode}</span>` : ''}</td><td>${t.ibsiName ?? t.source ?? ''}${t.aggregation ? ` (${t.aggregation})` : ''}</td><td>${t.region ?? ''}</td><td class="num">${num(t.value)}</td><td class="num">${num(t.coefficient)}</td><td class="num">${num(t.contribution)}</td></tr>`,
)}</tbody></table>
<h3>Features (<span id="${tableId}-count">${features.length}</span> of ${features.length})</h3>
<label>Search features: <input type="search" data-filter="${tableId}" aria-controls="${tableId}" placeholder="name, tag, code, family"></label>
<div class="scroll"><table id="${tableId}" class="features"><thead><tr><th>Region</th><th>Family</th><th>IBSI name</th><th>Tag</th><th>Code</th><th>Aggregation</th><th class="num">Value</th></tr></thead><tbody>
${features.map((f) => html`<tr><td>${f.region}</td><td>${f.family}</td><td>${f.ibsiName}</td><td>${f.tag}</td><td>${f.ibsiCode}</td><td>${f.aggregation}</td><td class="num">${num(f.value, 6)}</td></tr>`)}
</tbody></table></div></div></section>`;
}

// --- Outbox ---------------------------------------------------------------------------------

function outboxTable(rows: OutboxRow[], p: Principal, withStudy: boolean): Html {
  if (rows.length === 0) return html`<p>No message.</p>`;
  return html`<table class="outbox"><thead><tr><th>#</th>${withStudy ? html`<th>Study</th>` : ''}<th>Message</th><th>Destination</th><th>State</th><th class="num">Attempts</th><th>Last error</th><th>Next try / sent</th><th>Action</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr id="outbox-${r.id}" data-state="${r.state}"><td>${withStudy ? r.id : html`<a href="/outbox#outbox-${r.id}">${r.id}</a>`}</td>${withStudy ? html`<td>${studyLink(r.studyInstanceUid)}</td>` : ''}<td>${r.description} v${r.studyVersion}</td><td>${r.destination}</td><td>${stateBadge(r.state)}</td><td class="num">${r.attempts}</td><td>${r.lastError ?? ''}</td><td>${r.state === 'sent' ? when(r.sentAt) : r.state === 'failed' ? 'gave up' : when(r.nextAttemptAt)}</td><td>${
    isAdmin(p) && (r.state === 'failed' || (r.state === 'pending' && r.lastError)) ? html`<form method="post" action="/outbox/${r.id}/retry" class="inline">${csrfField(p)}<button type="submit">Retry now</button></form>` : ''
  }</td></tr>`,
)}</tbody></table>`;
}

export function outboxBody(status: OutboxStatus, p: Principal, shownLimit: number): Html {
  if (status.rows.length === 0 && status.counts.sent === 0) return html`<p>The outbox is empty: no result produced yet.</p>`;
  const groups: Array<[string, OutboxState[]]> = [
    ['Failed', ['failed']],
    ['Pending', ['pending', 'sending']],
    ['Sent (latest)', ['sent']],
  ];
  const c = status.counts;
  return html`<p>${c.pending} pending, ${c.sending} sending, ${c.failed} failed, ${c.sent} sent.${isAdmin(p) ? '' : ' Retry and resend need the admin role.'}</p>
${groups.map(([title, states]) => {
  const rows = status.rows.filter((r) => states.includes(r.state)).slice(0, shownLimit);
  return html`<h2>${title}</h2>${outboxTable(rows, p, true)}`;
})}`;
}

// --- Configuration --------------------------------------------------------------------------

export interface ConfigurationData {
  verdict: ConfigVerdict;
  rows: ConfigValueRow[];
  allowedCallers: string[];
  dicom: Array<{ name: string; aeTitle: string; host: string; port: number; tls: boolean }>;
  hl7: Array<{ name: string; host: string; port: number; tls: boolean }>;
  signature: { name: string; version: string; file: string; pending: string[] };
  principal: Principal;
}

export function configurationBody(d: ConfigurationData): Html {
  const p = d.principal;
  return html`<h2>Check</h2><p class="${d.verdict.ok ? 'ok' : 'bad'}" id="verdict">${d.verdict.verdict}</p>
${d.verdict.issues.length > 0 ? html`<ul>${d.verdict.issues.map((i) => html`<li class="${i.severity === 'error' ? 'bad' : 'warn'}">${i.severity}: ${i.path}: ${i.message}</li>`)}</ul>` : ''}
<h2>Signature</h2><p>${d.signature.name} ${d.signature.version} (${d.signature.file}): ${d.signature.pending.length === 0 ? html`<span class="ok">complete</span>` : html`<span class="warn">incomplete, no score is given: ${d.signature.pending.join('; ')}</span>`}</p>
<h2>Allowed callers</h2><p>${d.allowedCallers.join(', ')}</p>
<h2>DICOM destinations</h2>
${d.dicom.length === 0 ? html`<p>None configured.</p>` : html`<table><thead><tr><th>Name</th><th>AE title</th><th>Host:port</th><th>TLS</th><th>Test</th></tr></thead><tbody>${d.dicom.map(
  (x, i) => html`<tr><td>${x.name}</td><td>${x.aeTitle}</td><td>${x.host}:${x.port}</td><td>${x.tls ? 'yes' : 'no'}</td><td>${isAdmin(p) ? html`<form method="post" action="/configuration/dicom/${i}/echo" class="inline">${csrfField(p)}<button type="submit">C-ECHO</button></form>` : html`<span class="muted">admin only</span>`}</td></tr>`,
)}</tbody></table>`}
<h2>HL7 destinations</h2>
${d.hl7.length === 0 ? html`<p>None configured.</p>` : html`<table><thead><tr><th>Name</th><th>Host:port</th><th>TLS</th><th>Test</th></tr></thead><tbody>${d.hl7.map(
  (x, i) => html`<tr><td>${x.name}</td><td>${x.host}:${x.port}</td><td>${x.tls ? 'yes' : 'no'}</td><td>${isAdmin(p) ? html`<form method="post" action="/configuration/hl7/${i}/test" class="inline">${csrfField(p)}<button type="submit">MLLP test</button></form>` : html`<span class="muted">admin only</span>`}</td></tr>`,
)}</tbody></table>`}
<h2>Effective configuration</h2>
<label>Search keys: <input type="search" data-filter="config-values" aria-controls="config-values"></label> <span class="muted"><span id="config-values-count">${d.rows.length}</span> keys; secrets and key paths hidden</span>
<table id="config-values"><thead><tr><th>Key</th><th>Value</th><th>From</th></tr></thead><tbody>
${d.rows.map((r) => html`<tr><td class="uid">${r.path}</td><td>${r.value}</td><td>${r.source}</td></tr>`)}
</tbody></table>`;
}

// --- Audit ----------------------------------------------------------------------------------

export function auditBody(filter: { date?: string; aeTitle?: string; study?: string }, events: AuditLine[], notes: string[]): Html {
  return html`<form method="get" action="/audit" class="filters">
<label>Date <input type="date" name="date" value="${filter.date ?? ''}"></label>
<label>AE title <input name="ae" value="${filter.aeTitle ?? ''}" maxlength="16"></label>
<label>Study UID <input name="study" value="${filter.study ?? ''}" maxlength="64" size="40"></label>
<button type="submit">Search</button></form>
${notes.map((n) => html`<p class="muted">${n}</p>`)}
<p>${events.length} event(s), newest first. Audit events carry no patient name; study and instance UIDs only.</p>
<table id="audit"><thead><tr><th>Time (UTC)</th><th>Event</th><th>Peer</th><th>Calling → called AE</th><th>Study</th><th>Destination</th><th>Status / reason</th></tr></thead><tbody>
${events.map(
  (e) => html`<tr><td>${e.time}</td><td>${e.event}${e.action ? ` (${e.action})` : ''}${e.role ? ` [${e.role}]` : ''}</td><td>${e.peer ?? ''}</td><td>${e.callingAeTitle ?? ''}${e.calledAeTitle ? ` → ${e.calledAeTitle}` : ''}</td><td>${e.studyInstanceUid ? studyLink(e.studyInstanceUid) : ''}</td><td>${e.destination ?? ''}</td><td>${[e.status, e.reason].filter(Boolean).join(': ')}</td></tr>`,
)}</tbody></table>`;
}

// --- Login and errors -----------------------------------------------------------------------

export function loginBody(roles: Role[], message?: string): Html {
  if (roles.length === 0) return html`<p>No password is configured (http.auth.viewer/admin.passwordHash); the console cannot be logged into.</p>`;
  return html`${message ? html`<p class="bad" role="alert">${message}</p>` : ''}<form method="post" action="/login">
<p><label>Role <select name="role">${roles.map((r) => html`<option value="${r}">${r}</option>`)}</select></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required autofocus></label></p>
<p><button type="submit">Log in</button></p></form>`;
}

export function plainHttpWarning(): Html {
  return html`<p class="warn" role="alert">The password was right, but this page came over plain HTTP from another machine: your browser will not keep the console's session cookie (it is Secure), so you would be asked to log in again at once. Reach the console through an HTTPS reverse proxy (or on the node's machine itself).</p><p><a href="/">Continue</a></p>`;
}

export function errorBody(status: number, message: string): Html {
  return html`<p class="bad" id="error-status">${status}</p><p>${message}</p><p><a href="/">Back to the overview</a></p>`;
}
