/**
 * The web console on the node's HTTP port: pages for the overview, a study, the outbox, the
 * configuration and the audit trail, and the few admin actions (resend, retry now, C-ECHO, MLLP
 * test), each a POST with the session's CSRF token. Reads what `cd8-node status`, `resend`,
 * `echo` and `config check` compute (ops/studyStatus, outbox/resend, dicom/echo, config/verdict).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { connect as netConnect } from 'node:net';
import type { Config } from '../config/schema';
import type { StudyCatalog, StudyVersionSummary } from '../study/types';
import type { Storage } from '../db/storage';
import type { AuditLog } from '../ops/audit';
import type { Logger } from '../ops/logger';
import type { IdHasher } from '../ops/idHash';
import { HttpRoutes, ReadinessCheck, runReadinessChecks } from '../ops/http';
import { clusterNodes, studyStatuses } from '../ops/studyStatus';
import { searchAuditTrail } from '../ops/auditSearch';
import { resendStudy } from '../outbox/resend';
import { cEcho, echoOutcomeLine } from '../dicom/echo';
import { checkConfiguration, configValueRows } from '../config/verdict';
import { uidProblem } from '../report/valueTypes';
import { ConsoleAuth, Principal, Role, SESSION_COOKIE } from './auth';
import { isLoopback } from '../ops/ipAddress';
import { CONSOLE_CSS, CONSOLE_JS } from './assets';
import { page, PageChrome } from './html';
import { sharedFor } from './sharedFor';
import { featureRows, featuresCsv, featuresJson } from './features';
import { auditBody, configurationBody, errorBody, loginBody, plainHttpWarning, outboxBody, overviewBody, overviewFragment, OverviewData, studyBody } from './pages';
import { LesionPictureRequest, plainLesionPicture } from './lesionPicture';
import { readLesionPicture, readReportPdf, readSummaryPicture } from '../results/pictureFiles';

export interface ConsoleDeps {
  config: Config;
  /** storage.dataDir, resolved. */
  dataDir: string;
  /** The configuration file the node runs with (null: defaults) and its environment, for the configuration page. */
  configSource: { file: string | null; env: NodeJS.ProcessEnv };
  catalog: StudyCatalog;
  /** The node's storage (SQLite, or the PostgreSQL every node of a cluster shares): results, outbox, jobs, nodes. */
  storage: Pick<Storage, 'engine' | 'location' | 'results' | 'outbox' | 'jobs' | 'cluster'>;
  /** Makes the sender look at the outbox now (after a resend or retry). */
  kickSender: () => void;
  checks: ReadinessCheck[];
  auditFile: string;
  audit: AuditLog;
  logger: Logger;
  /** Hashes Patient IDs as the logs do (ops/idHash, the installation's key). */
  hashId: IdHasher;
  signature: { name: string; version: string; file: string; pending: string[] };
}

/**
 * The key-slice picture of a lesion: the report's PNG (the key image sent in the Secondary
 * Capture), else, for a version analysed before the node saved pictures, a plain rendering.
 */
const lesionPicture = async (r: LesionPictureRequest): Promise<Buffer | undefined> =>
  readLesionPicture(r.dataDir, r.studyInstanceUid, r.version, r.lesionIndex) ?? plainLesionPicture(r);

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Bounds on what a request may ask for. */
const MAX_QUERY_VALUE = 128;
const MAX_FORM_BYTES = 16 * 1024;
const OUTBOX_ROWS_SHOWN = 200;
const PICTURE_CACHE = 64;
const OVERVIEW_CACHE_MS = 1000;
/** The configuration check opens a database connection and re-reads files: once per 30 s at most. */
const VERDICT_CACHE_MS = 30_000;
const MAX_VERSIONS_SHOWN = 50;
const MAX_INSTANCES_SHOWN = 2000;

class BadRequest extends Error {
  override readonly name = 'BadRequest';
}
class NotFound extends Error {
  override readonly name = 'NotFound';
}

function studyUidParam(v: string): string {
  const problem = uidProblem(v);
  if (problem) throw new BadRequest(`"${v.slice(0, 70)}" is not a Study Instance UID: it ${problem}.`);
  return v;
}

function intParam(v: string, what: string, max: number): number {
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw new BadRequest(`${what} must be a whole number from 0 to ${max}, not "${v.slice(0, 20)}".`);
  return Number(v);
}

/** The destination at a list index given in the URL. */
function destinationAt<T>(list: readonly T[], param: string, kind: string): T {
  const i = intParam(param, 'the destination', 1000);
  const d = list[i];
  if (d === undefined) throw new NotFound(`There is no ${kind} destination number ${i}.`);
  return d;
}

function queryValue(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > MAX_QUERY_VALUE) throw new BadRequest(`the "${key}" parameter must be one value of at most ${MAX_QUERY_VALUE} characters.`);
  return v;
}

const startOfToday = () => {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};

export function consoleRoutes(deps: ConsoleDeps): HttpRoutes & { auth: ConsoleAuth } {
  const auth = new ConsoleAuth(deps.config.http.auth, Date.now, deps.config.http.trustProxy.length > 0);
  const flashes = new Map<string, PageChrome['flash']>();
  const pictures = new Map<string, Buffer>();

  const chrome = (request: FastifyRequest, title: string, section: PageChrome['section']): PageChrome => {
    const p = request.principal;
    const flash = p?.sessionId ? flashes.get(p.sessionId) : undefined;
    if (p?.sessionId) flashes.delete(p.sessionId);
    return { title, section, principal: p, openMode: auth.open, flash };
  };
  const sendPage = (reply: FastifyReply, c: PageChrome, body: Parameters<typeof page>[1], status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(page(c, body));
  const errorPage = (request: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
    sendPage(reply, chrome(request, status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 400 ? 'Bad request' : status === 429 ? 'Busy' : 'Error', 'error'), errorBody(status, message), status);

  /** After an action: the message waits for the next page of this session, then back to where the admin was. */
  const done = (request: FastifyRequest, reply: FastifyReply, flash: NonNullable<PageChrome['flash']>, to: string) => {
    const id = request.principal?.sessionId;
    if (id) {
      if (flashes.size > 1000) flashes.clear();
      flashes.set(id, flash);
    }
    return reply.redirect(to, 303);
  };

  // Every open overview asks every 2 s: one computation per second serves them all, however many
  // there are (the page holds no identity, so it is the same for every role).
  const overviewData = sharedFor(OVERVIEW_CACHE_MS, computeOverview);
  const verdict = sharedFor(VERDICT_CACHE_MS, () => checkConfiguration(deps.configSource.file, deps.configSource.env));
  // One audit search at a time (each reads up to 16 MB): others are told to wait, not queued.
  let auditSearching = false;

  async function computeOverview(): Promise<OverviewData> {
    const since = startOfToday();
    const { storage } = deps;
    const recent = await deps.catalog.listStudies({ limit: 500 });
    const results = await storage.outbox.countsSince(since);
    return {
      health: await runReadinessChecks(deps.checks),
      jobs: await storage.jobs.counts(),
      nodes: await clusterNodes(storage),
      today: {
        received: recent.filter((s) => s.firstReceivedAt.getTime() >= since).length,
        processed: (await storage.results.counts(since)).analysed,
        failed: recent.filter((s) => s.state === 'failed' && s.updatedAt.getTime() >= since).length,
        sent: results.sent,
        waiting: results.pending + results.sending,
        resultsFailed: results.failed,
      },
      outbox: await storage.outbox.countsSince(0),
      studies: await studyStatuses(deps.catalog, storage.results, { limit: 15 }, deps.hashId),
      at: new Date(),
    };
  }

  async function versionsOf(uid: string): Promise<StudyVersionSummary[]> {
    const current = await deps.catalog.getStudy(uid);
    if (!current) throw new NotFound(`No study ${uid} on this node. It may not have arrived yet, or retention removed it.`);
    const versions = [current];
    // The history shows the latest MAX_VERSIONS_SHOWN versions (a study sent again and again has many).
    for (let v = current.version - 1; v >= Math.max(1, current.version - MAX_VERSIONS_SHOWN + 1); v--) {
      const s = await deps.catalog.getStudy(uid, v);
      if (s) versions.push(s);
    }
    return versions;
  }

  async function analysisOf(uid: string, version: number) {
    const a = await deps.storage.results.get(uid, version);
    if (!a) throw new NotFound(`Study ${uid} has no analysis for version ${version}.`);
    return a;
  }

  const requireAdmin = (request: FastifyRequest, body: Record<string, unknown>): string | undefined => {
    const p = request.principal;
    if (!p || p.role !== 'admin') return 'This action needs the admin role.';
    if (!auth.csrfMatches(p, body._csrf)) return 'The form is out of date or did not come from this console (CSRF token missing or wrong); reload the page and try again.';
    return undefined;
  };

  const action = (name: string, run: (request: FastifyRequest, body: Record<string, unknown>) => Promise<{ flash: NonNullable<PageChrome['flash']>; to: string; studyInstanceUid?: string; destination?: string }>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const refused = requireAdmin(request, body);
      if (refused) {
        deps.audit.record({ event: 'console.denied', peer: request.ip, action: name, role: request.principal?.role, reason: refused });
        return errorPage(request, reply, 403, refused);
      }
      const outcome = await run(request, body);
      deps.audit.record({ event: 'console.action', peer: request.ip, action: name, role: 'admin', studyInstanceUid: outcome.studyInstanceUid, destination: outcome.destination, status: outcome.flash.kind, reason: outcome.flash.text.slice(0, 300) });
      deps.logger.info(`console: ${name} by admin`, { peer: request.ip, outcome: outcome.flash.text });
      return done(request, reply, outcome.flash, outcome.to);
    };

  return {
    name: 'console',
    auth,
    async register(app: FastifyInstance) {
      await app.register(fastifyCookie);
      await app.register(fastifyFormbody, { bodyLimit: MAX_FORM_BYTES });

      app.addHook('onRequest', async (request, reply) => {
        if (request.url.startsWith('/assets/')) return;
        if (auth.open && !auth.onThisMachine(request)) {
          const why = isLoopback(request.ip) ? ' This request came through a proxy (X-Forwarded-For or Forwarded) that http.trustProxy does not name, so it may come from anywhere.' : '';
          return errorPage(request, reply, 403, `No credential is configured (http.auth), so the console answers on this machine only.${why} Configure http.auth to use it from elsewhere.`);
        }
        const who = auth.identify({ ip: request.ip, headers: request.headers, cookies: request.cookies });
        if (who && 'refused' in who) {
          deps.audit.record({ event: 'console.login-failed', peer: request.ip, action: 'bearer-token', reason: who.refused });
          deps.logger.warn('console: bearer token refused', { peer: request.ip, reason: who.refused });
          if (who.refused === 'rate-limited') {
            reply.header('Retry-After', String(who.retryAfterS));
            return errorPage(request, reply, 429, `Too many failed logins or tokens from ${request.ip}: try again in ${Math.ceil((who.retryAfterS ?? 60) / 60)} minute(s).`);
          }
          reply.header('WWW-Authenticate', 'Bearer');
          return errorPage(request, reply, 401, 'The bearer token is not a viewer or admin token of this node (http.auth.<role>.tokenSha256).');
        }
        request.principal = who;
        const path = request.url.split('?')[0];
        if (!request.principal && path !== '/login') {
          if (request.method === 'GET' && !path.startsWith('/fragments/')) return reply.redirect(`/login`, 303);
          return errorPage(request, reply, 401, 'Log in first.');
        }
      });

      // The console's pages load nothing from elsewhere and are never framed.
      app.addHook('onSend', async (_request, reply) => {
        reply.header('Content-Security-Policy', "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        reply.header('X-Content-Type-Options', 'nosniff');
        reply.header('Referrer-Policy', 'no-referrer');
        reply.header('X-Frame-Options', 'DENY');
      });

      app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
        if (error instanceof NotFound) return errorPage(request, reply, 404, error.message);
        if (error instanceof BadRequest) return errorPage(request, reply, 400, error.message);
        const status = error.statusCode ?? 500;
        if (status >= 400 && status < 500) return errorPage(request, reply, status, `The request could not be read: ${error.message}`);
        deps.logger.error('console: a page failed', { url: request.url.slice(0, 200), error: error.message });
        return errorPage(request, reply, 500, 'This page failed; the node keeps running. The log has the details.');
      });

      app.get('/assets/console.css', (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'max-age=3600').send(CONSOLE_CSS));
      app.get('/assets/console.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'max-age=3600').send(CONSOLE_JS));

      app.get('/', async (request, reply) => sendPage(reply, chrome(request, 'Overview', 'overview'), overviewBody(await overviewData())));
      app.get('/fragments/overview', async (_request, reply) => reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(overviewFragment(await overviewData()).text));

      app.get('/studies', async (request, reply) => {
        const uid = studyUidParam(queryValue(request.query as Record<string, unknown>, 'uid')?.trim() ?? '');
        return reply.redirect(`/studies/${encodeURIComponent(uid)}`, 303);
      });
      app.get<{ Params: { uid: string } }>('/studies/:uid', async (request, reply) => {
        const uid = studyUidParam(request.params.uid);
        const versions = await versionsOf(uid);
        const asked = queryValue(request.query as Record<string, unknown>, 'version');
        const shown = asked === undefined ? versions[0] : versions.find((v) => v.version === intParam(asked, 'the version', 1e6));
        if (!shown) throw new NotFound(`Study ${uid} has no version ${asked}; it has ${versions.map((v) => v.version).join(', ')}.`);
        const instances = await deps.catalog.listInstances(uid, shown.version);
        const series = new Map<string, { seriesInstanceUid: string; modality: string; seriesNumber?: number; instances: number }>();
        for (const i of instances) {
          const s = series.get(i.seriesInstanceUid) ?? { seriesInstanceUid: i.seriesInstanceUid, modality: i.modality ?? '?', seriesNumber: i.seriesNumber, instances: 0 };
          s.instances++;
          series.set(i.seriesInstanceUid, s);
        }
        const withAnalyses = [];
        for (const summary of versions) withAnalyses.push({ summary, analysis: await deps.storage.results.get(uid, summary.version) });
        const shownAnalysis = withAnalyses.find((v) => v.summary.version === shown.version)!;
        const principal = request.principal!;
        return sendPage(
          reply,
          chrome(request, `Study ${uid}`, 'studies'),
          studyBody({
            uid,
            versions: withAnalyses,
            shown: shownAnalysis,
            // Only admins may open them (they show the patient's identity).
            reports:
              principal.role === 'admin'
                ? { summary: readSummaryPicture(deps.dataDir, uid, shown.version) !== undefined, pdf: readReportPdf(deps.dataDir, uid, shown.version) !== undefined }
                : { summary: false, pdf: false },
            series: [...series.values()],
            instances: { rows: instances.slice(0, MAX_INSTANCES_SHOWN), total: instances.length },
            outbox: await deps.storage.outbox.forStudy(uid),
            features: (shownAnalysis.analysis?.lesions ?? []).map((l) => featureRows(l)),
            principal,
            patientHash: deps.hashId(shown.patientId),
          }),
        );
      });

      app.get<{ Params: { uid: string; version: string; lesion: string } }>('/studies/:uid/versions/:version/lesions/:lesion/picture.png', async (request, reply) => {
        const uid = studyUidParam(request.params.uid);
        const version = intParam(request.params.version, 'the version', 1e6);
        const index = intParam(request.params.lesion, 'the lesion number', 10_000);
        const key = `${uid}/${version}/${index}`;
        let png = pictures.get(key);
        if (!png) {
          const a = await analysisOf(uid, version);
          const lesion = a.lesions[index];
          if (!lesion?.outline) throw new NotFound(`Lesion ${index} of study ${uid} version ${version} has no outline to draw.`);
          png = await lesionPicture({ dataDir: deps.dataDir, catalog: deps.catalog, studyInstanceUid: uid, version, lesionIndex: index, lesion });
          if (!png) throw new NotFound(`The key slice of ${lesion.trackingId} is no longer in the spool (retention removes images after processing).`);
          if (pictures.size >= PICTURE_CACHE) pictures.delete(pictures.keys().next().value as string);
          pictures.set(key, png);
        }
        return reply.type('image/png').header('Cache-Control', 'private, max-age=300').send(png);
      });

      app.get<{ Params: { uid: string; version: string; file: string } }>('/studies/:uid/versions/:version/report.:file', async (request, reply) => {
        const uid = studyUidParam(request.params.uid);
        const version = intParam(request.params.version, 'the version', 1e6);
        const file = request.params.file;
        if (file !== 'png' && file !== 'pdf') throw new BadRequest(`the report comes as .png (summary page) or .pdf, not .${file.slice(0, 10)}.`);
        // The summary page and the PDF carry the patient's name and ID, as the PACS shows them.
        if (request.principal?.role !== 'admin') return errorPage(request, reply, 403, 'The summary page and the PDF report show the patient\'s identity: they need the admin role.');
        const bytes = file === 'png' ? readSummaryPicture(deps.dataDir, uid, version) : readReportPdf(deps.dataDir, uid, version);
        if (!bytes) throw new NotFound(`Study ${uid} version ${version} has no ${file === 'png' ? 'summary page' : 'PDF report'} (report.summary decides what is made; retention removes them with the study).`);
        if (file === 'pdf') reply.header('Content-Disposition', `inline; filename="report-${uid}-v${version}.pdf"`);
        return reply.type(file === 'png' ? 'image/png' : 'application/pdf').header('Cache-Control', 'private, max-age=300').send(bytes);
      });

      app.get<{ Params: { uid: string; version: string; format: string } }>('/studies/:uid/versions/:version/features.:format', async (request, reply) => {
        const uid = studyUidParam(request.params.uid);
        const version = intParam(request.params.version, 'the version', 1e6);
        const format = request.params.format;
        if (format !== 'csv' && format !== 'json') throw new BadRequest(`features come as .csv or .json, not .${format.slice(0, 10)}.`);
        const a = await analysisOf(uid, version);
        const name = `features-${uid}-v${version}.${format}`;
        reply.header('Content-Disposition', `attachment; filename="${name}"`);
        if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(featuresCsv(a.lesions));
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(featuresJson(uid, version, a.lesions), null, 1));
      });

      app.post<{ Params: { uid: string } }>(
        '/studies/:uid/resend',
        action('resend', async (request, body) => {
          const uid = studyUidParam((request.params as { uid: string }).uid);
          const outcome = await resendStudy(deps.storage.outbox, uid, body.includeSent === '1');
          if (outcome.ok) deps.kickSender();
          return { studyInstanceUid: uid, to: `/studies/${encodeURIComponent(uid)}`, flash: outcome.ok ? { kind: 'ok', text: `Resend: ${outcome.lines.join('; ')}` } : { kind: 'error', text: outcome.message } };
        }),
      );

      app.get('/outbox', async (request, reply) => sendPage(reply, chrome(request, 'Outbox', 'outbox'), outboxBody(await deps.storage.outbox.status(OUTBOX_ROWS_SHOWN), request.principal!, OUTBOX_ROWS_SHOWN)));
      app.post<{ Params: { id: string } }>(
        '/outbox/:id/retry',
        action('retry', async (request) => {
          const id = intParam((request.params as { id: string }).id, 'the outbox row', 2 ** 31);
          const row = await deps.storage.outbox.retryNow(id);
          if (row) deps.kickSender();
          const text = row ? `Row ${id} (${row.description} → ${row.destination}) is tried again now.` : `Row ${id} is not failed or waiting (already sent, being sent, or gone); nothing to retry.`;
          return { studyInstanceUid: row?.studyInstanceUid, destination: row?.destination, to: '/outbox', flash: { kind: row ? 'ok' : 'error', text } };
        }),
      );

      app.get('/configuration', async (request, reply) => {
        const { file, env } = deps.configSource;
        const c = deps.config;
        return sendPage(
          reply,
          chrome(request, 'Configuration', 'configuration'),
          configurationBody({
            verdict: await verdict(),
            rows: configValueRows(c, file, env),
            allowedCallers: c.dicom.allowedCallers,
            dicom: c.destinations.dicom.map((d) => ({ name: d.name, aeTitle: d.aeTitle, host: d.host, port: d.port, tls: d.tls.enabled })),
            hl7: c.destinations.hl7.map((d) => ({ name: d.name, host: d.host, port: d.port, tls: d.tls.enabled })),
            signature: deps.signature,
            principal: request.principal!,
          }),
        );
      });
      app.post<{ Params: { i: string } }>(
        '/configuration/dicom/:i/echo',
        action('echo', async (request) => {
          const d = destinationAt(deps.config.destinations.dicom, (request.params as { i: string }).i, 'DICOM');
          const who = `${d.aeTitle}@${d.host}:${d.port}`;
          if (d.tls.enabled) return { destination: d.name, to: '/configuration', flash: { kind: 'error', text: `C-ECHO ${who}: the console's echo speaks plain DICOM only; this destination uses TLS (its sends show in the outbox).` } };
          const outcome = await cEcho({ host: d.host, port: d.port, calledAeTitle: d.aeTitle, callingAeTitle: d.callingAeTitle ?? deps.config.dicom.aeTitle, timeoutMs: 10_000 });
          return {
            destination: d.name,
            to: '/configuration',
            flash: { kind: outcome.ok ? 'ok' : 'error', text: echoOutcomeLine(who, outcome) },
          };
        }),
      );
      app.post<{ Params: { i: string } }>(
        '/configuration/hl7/:i/test',
        action('mllp-test', async (request) => {
          const d = destinationAt(deps.config.destinations.hl7, (request.params as { i: string }).i, 'HL7');
          const outcome = await tcpReachable(d.host, d.port, 10_000);
          const who = `${d.name} (${d.host}:${d.port})`;
          return {
            destination: d.name,
            to: '/configuration',
            flash: outcome.ok
              ? { kind: 'ok', text: `MLLP ${who}: the listener accepts connections (${outcome.elapsedMs} ms); no message was sent.` }
              : { kind: 'error', text: `MLLP ${who}: cannot connect: ${outcome.message}` },
          };
        }),
      );

      app.get('/audit', async (request, reply) => {
        const q = request.query as Record<string, unknown>;
        const filter = { date: queryValue(q, 'date'), aeTitle: queryValue(q, 'ae'), study: queryValue(q, 'study') };
        if (filter.date && !/^\d{4}-\d{2}-\d{2}$/.test(filter.date)) throw new BadRequest(`the date must be YYYY-MM-DD, not "${filter.date}".`);
        if (filter.study && !/^[0-9.]+$/.test(filter.study)) throw new BadRequest('a Study Instance UID (or its beginning) has digits and dots only.');
        if (auditSearching) {
          reply.header('Retry-After', '2');
          return errorPage(request, reply, 429, 'Another audit search is running; try again in a moment.');
        }
        auditSearching = true;
        let result;
        try {
          result = await searchAuditTrail(deps.auditFile, filter);
        } finally {
          auditSearching = false;
        }
        const notes = [
          ...(result.truncated ? ['Only the last 16 MB of the audit file are searched; older events are in the file (and rotated files) for grep.'] : []),
          ...(result.more ? ['More events match: narrow the search.'] : []),
        ];
        return sendPage(reply, chrome(request, 'Audit trail', 'audit'), auditBody(filter, result.events, notes));
      });

      app.get('/login', async (request, reply) => sendPage(reply, chrome(request, 'Log in', 'login'), loginBody(auth.loginRoles)));
      app.post('/login', async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        const role = body.role;
        const password = body.password;
        if ((role !== 'viewer' && role !== 'admin') || typeof password !== 'string') throw new BadRequest('the login form needs a role (viewer or admin) and a password.');
        const outcome = await auth.login(role as Role, password, request.ip);
        if (!outcome.ok) {
          deps.audit.record({ event: 'console.login-failed', peer: request.ip, role, reason: outcome.reason });
          deps.logger.warn('console: failed login', { peer: request.ip, role, reason: outcome.reason });
          if (outcome.reason === 'rate-limited') {
            reply.header('Retry-After', String(outcome.retryAfterS));
            return sendPage(reply, chrome(request, 'Log in', 'login'), loginBody(auth.loginRoles, `Too many failed logins from ${request.ip}: try again in ${Math.ceil((outcome.retryAfterS ?? 60) / 60)} minute(s).`), 429);
          }
          if (outcome.reason === 'busy') {
            reply.header('Retry-After', String(outcome.retryAfterS));
            return sendPage(reply, chrome(request, 'Log in', 'login'), loginBody(auth.loginRoles, 'Other logins are being checked right now; the password was not checked. Try again in a moment.'), 429);
          }
          return sendPage(reply, chrome(request, 'Log in', 'login'), loginBody(auth.loginRoles, 'Wrong role or password.'), 401);
        }
        deps.audit.record({ event: 'console.login', peer: request.ip, role });
        reply.setCookie(SESSION_COOKIE, outcome.sessionId, { path: '/', httpOnly: true, sameSite: 'strict', secure: true });
        // A browser keeps a Secure cookie over plain HTTP from this machine only: elsewhere the login
        // would seem to do nothing. Say why instead (a TLS proxy in front sets X-Forwarded-Proto).
        if (!isLoopback(request.ip) && request.protocol !== 'https' && request.headers['x-forwarded-proto'] !== 'https') {
          return sendPage(reply, chrome(request, 'Log in', 'login'), plainHttpWarning(), 200);
        }
        return reply.redirect('/', 303);
      });
      app.post('/logout', async (request, reply) => {
        const p = request.principal;
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (p?.sessionId && auth.csrfMatches(p, body._csrf)) {
          auth.logout(p.sessionId);
          deps.audit.record({ event: 'console.logout', peer: request.ip, role: p.role });
        }
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.redirect('/login', 303);
      });
    },
  };
}

/** Opens and closes a TCP connection: the MLLP listener is there (no message is sent to a RIS as a test). */
function tcpReachable(host: string, port: number, timeoutMs: number): Promise<{ ok: true; elapsedMs: number } | { ok: false; message: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const finish = (r: { ok: true; elapsedMs: number } | { ok: false; message: string }) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, elapsedMs: Date.now() - started }));
    socket.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, message: e.code === 'ECONNREFUSED' ? 'connection refused (nothing listens on that port)' : e.message }));
  });
}
