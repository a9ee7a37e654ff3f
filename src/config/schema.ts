/**
 * The node's configuration: every key, its type, default and meaning.
 * `config/default.yaml` shows the same defaults with comments; `cd8-node config check`
 * validates against this schema; the README's reference table is generated from it
 * (`npm run docs`).
 */
import { Infer, s } from './schemaKit';
import { aeTitleProblem, callerSpecProblem, pinnedSubjectProblem } from './aeTitle';
import { cronProblem, proxyAddressProblem, regexProblem } from './checks';
import { passwordHashProblem } from './passwordHash';

const aeTitle = (doc: string, def: string, required = false) =>
  s.string({ doc, default: def, required, check: aeTitleProblem });

const port = (doc: string, def: number, required = false) => s.int({ doc, default: def, required, min: 1, max: 65535 });

const tls = s.object(
  {
    enabled: s.bool({ doc: 'Use DICOM/HL7 over TLS to this peer (TLS 1.2 or 1.3).', default: false }),
    caFile: s.nullableString({ doc: 'PEM file with the CA certificate(s) that issued the peer certificate; none = only public CAs are trusted.', default: null }),
    certFile: s.nullableString({ doc: 'PEM client certificate, for a peer that requires mutual TLS (with keyFile).', default: null }),
    keyFile: s.nullableString({ doc: "PEM private key of certFile, unencrypted (readable only by the node's user).", default: null }),
    rejectUnauthorized: s.bool({ doc: 'Refuse a peer whose certificate does not verify against caFile or whose name does not match host.', default: true }),
  },
  'TLS settings of one destination.',
);

const listenerTls = s.object(
  {
    enabled: s.bool({ doc: 'Listen for DICOM over TLS (TLS 1.2/1.3, BCP 195 ciphers) on tls.port.', default: false }),
    port: s.int({ doc: 'TCP port of the TLS listener (2762 is the registered DICOM-TLS port); 0 = any free port (tests).', default: 2762, min: 0, max: 65535 }),
    plain: s.bool({ doc: 'Keep the plain (non-TLS) listener on dicom.port beside the TLS one; false = TLS only.', default: true }),
    certFile: s.nullableString({ doc: "PEM server certificate (with its chain) the node presents; required when enabled.", default: null }),
    keyFile: s.nullableString({ doc: "PEM private key of certFile, unencrypted (readable only by the node's user); required when enabled.", default: null }),
    caFile: s.nullableString({ doc: 'PEM file with the CA certificate(s) that issue the callers\' client certificates; required with requireClientCertificate.', default: null }),
    requireClientCertificate: s.bool({ doc: 'Mutual TLS: refuse a caller without a client certificate signed by caFile.', default: true }),
    pinnedSubjects: s.list(s.string({ doc: '', default: 'PACS: CN=pacs.example.org', check: pinnedSubjectProblem }), {
      doc: 'Per calling AE title, the client certificate subject it must present: "AET: CN=host,O=org" (every attribute given must match). A pinned AE title is refused over plain TCP.',
      default: [],
    }),
  },
  'DICOM over TLS on the listener (inbound).',
);

/** An AE title that may be left out (null = a default the doc names). */
const optionalAeTitle = (doc: string) => s.nullableString({ doc, default: null, check: (v) => (v === null ? undefined : aeTitleProblem(v)) });

/** Name, address and AE titles of a DICOM peer we open associations to (destination or source). */
const dicomPeer = (calledDoc: string, portDoc: string) => ({
  name: s.string({ doc: 'Short name shown in logs and status.', default: 'pacs', required: true, nonEmpty: true }),
  aeTitle: aeTitle(calledDoc, 'PACS', true),
  host: s.string({ doc: 'Host name or IP address.', default: '127.0.0.1', required: true, nonEmpty: true }),
  port: port(portDoc, 104, true),
  callingAeTitle: optionalAeTitle('Calling AE title we present to it (default: dicom.aeTitle).'),
});

const dicomDestination = s.object(
  {
    ...dicomPeer('Called AE title of the destination.', 'TCP port of the destination.'),
    tls,
  },
  'One DICOM destination for the SR (and the optional PDF/SC summary).',
);

const dicomwebDestination = s.object(
  {
    name: s.string({ doc: 'Short name shown in logs and status (unique among the DICOM and DICOMweb destinations).', default: 'archive', required: true, nonEmpty: true }),
    url: s.string({
      doc: 'Base URL of the DICOMweb service (STOW-RS goes to <url>/studies), e.g. https://archive.example.org/dicom-web.',
      default: 'http://127.0.0.1:8042/dicom-web',
      required: true,
      check: (v) => {
        try {
          const u = new URL(v);
          return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : `must be an http:// or https:// URL, not ${u.protocol}`;
        } catch {
          return `is not a URL ("${v}"); give the DICOMweb base URL, e.g. https://archive.example.org/dicom-web`;
        }
      },
    }),
    bearerToken: s.nullableString({ doc: 'Authorization: Bearer token (keep the file readable by the node only).', default: null }),
    username: s.nullableString({ doc: 'HTTP basic authentication user (with password).', default: null }),
    password: s.nullableString({ doc: 'HTTP basic authentication password.', default: null }),
    tls,
  },
  'One DICOMweb archive for the SR and the other result objects (STOW-RS). TLS: an https:// URL uses the tls files (tls.enabled is not needed).',
  (d) =>
    d.bearerToken !== null && d.username !== null
      ? 'has both bearerToken and username: choose one way to authenticate.'
      : (d.username === null) !== (d.password === null)
        ? 'needs both username and password for basic authentication.'
        : undefined,
);

const hl7Destination = s.object(
  {
    name: s.string({ doc: 'Short name shown in logs and status.', default: 'ris', required: true, nonEmpty: true }),
    host: s.string({ doc: 'Host name or IP address of the MLLP listener.', default: '127.0.0.1', required: true, nonEmpty: true }),
    port: port('TCP port of the MLLP listener.', 2575, true),
    receivingApplication: s.string({ doc: 'MSH-5 Receiving Application.', default: 'RIS' }),
    receivingFacility: s.string({ doc: 'MSH-6 Receiving Facility.', default: '' }),
    tls,
  },
  'One HL7 v2 MLLP destination for the ORU^R01.',
);

const dicomSource = s.object(
  {
    ...dicomPeer('Called AE title of the PACS (its Query/Retrieve SCP).', 'TCP port of the PACS.'),
    method: s.enum(['move', 'get'] as const, {
      doc: 'move = C-MOVE to moveDestination (the PACS opens an association back to us); get = C-GET (the images come back on our own association: no route from the PACS to us needed, where the PACS supports it).',
      default: 'move',
    }),
    moveDestination: optionalAeTitle(
      'AE title the PACS sends the images to (C-MOVE destination; default: dicom.aeTitle). The PACS must know it with our host and port, and dicom.allowedCallers must let the PACS in.',
    ),
    tls,
  },
  'One PACS the node retrieves missing images from (C-MOVE to our own AE title, or C-GET).',
);

const consoleRole = (who: string) =>
  s.object(
    {
      passwordHash: s.nullableString({
        doc: `scrypt hash of the ${who.split(' ')[0]} password for the login form ("cd8-node console hash-password" makes one).`,
        default: null,
        check: (v) => (v === null ? undefined : passwordHashProblem(v)),
      }),
      tokenSha256: s.nullableString({
        doc: `SHA-256 (hex) of a bearer token for scripts ("Authorization: Bearer TOKEN").`,
        default: null,
        check: (v) => (v === null || /^[0-9a-f]{64}$/i.test(v) ? undefined : 'must be 64 hexadecimal digits (e.g. from "printf %s TOKEN | sha256sum").'),
      }),
    },
    `Credentials of the console role ${who}.`,
  );

const gateAction = (doc: string, def: 'block' | 'flag' | 'off') => s.enum(['block', 'flag', 'off'] as const, { doc, default: def });

export const configSchema = s.object(
  {
    dicom: s.object(
      {
        aeTitle: aeTitle('Our AE title; a calling peer must use it as the called AE title.', 'CD8NODE'),
        port: s.int({ doc: 'TCP port of the DICOM listener (C-ECHO, C-STORE); 0 = any free port (tests), logged at start.', default: 11112, min: 0, max: 65535 }),
        bind: s.string({ doc: 'Address to listen on (0.0.0.0 = every interface, 127.0.0.1 = this machine only).', default: '0.0.0.0', nonEmpty: true }),
        allowedCallers: s.list(s.string({ doc: '', default: '*', check: callerSpecProblem }), {
          doc: 'Calling AE titles allowed to connect: "AET" or "AET@host"; "*" accepts anyone (a warning is logged at start).',
          default: ['*'],
          check: (list) => (list.length === 0 ? 'is empty, so no peer could ever connect; list the PACS AE titles, or "*" for any.' : undefined),
        }),
        maxAssociations: s.int({ doc: 'Simultaneous associations; more are rejected as "local limit exceeded".', default: 10, min: 1, max: 1000 }),
        maxAssociationsPerHost: s.int({
          doc: 'Simultaneous associations from one address (at most maxAssociations), so one host cannot take every slot; more are rejected as "local limit exceeded".',
          default: 8,
          min: 1,
          max: 1000,
        }),
        artimTimeoutS: s.int({ doc: 'Time a new connection gets to send its association request.', default: 30, min: 1, max: 3600, unit: 's' }),
        pduTimeoutS: s.int({ doc: 'A PDU must be complete this long after its first byte, however slowly it trickles in; else the association is aborted.', default: 30, min: 1, max: 3600, unit: 's' }),
        idleTimeoutS: s.int({
          doc: 'An association that completes no DIMSE message (C-ECHO, C-STORE) for this long is aborted; a dataset still arriving counts as progress for each MiB received.',
          default: 60,
          min: 1,
          max: 86400,
          unit: 's',
        }),
        tls: listenerTls,
      },
      'The DICOM listener.',
    ),
    storage: s.object(
      {
        dataDir: s.string({ doc: 'Directory for the spool, the SQLite index and the audit log (relative paths are taken from the working directory).', default: './data', nonEmpty: true }),
        fsync: s.bool({ doc: 'fsync each received instance before answering Success. Turn off only for benchmarks.', default: true }),
        minFreeDiskMb: s.int({ doc: 'Below this free space the node refuses new instances (out of resources) and /readyz fails.', default: 1024, min: 0, unit: 'MB' }),
      },
      'Where received instances and results are kept.',
    ),
    database: s.object(
      {
        url: s.string({
          doc: 'Empty: the embedded SQLite index in storage.dataDir (one node). postgres://user:password@host:5432/db: a PostgreSQL database shared by several nodes (with a shared storage.dataDir; see docs/cluster).',
          default: '',
          check: (v) => (v === '' || /^postgres(ql)?:\/\/.+/i.test(v) ? undefined : 'must be empty (embedded SQLite) or a postgres://user:password@host:port/database URL.'),
        }),
        nodeId: s.string({ doc: "This node's name among the nodes sharing the database (jobs, heartbeats, status); empty = host name and DICOM port.", default: '' }),
      },
      'The index, study state, job queue, results and outbox: embedded SQLite or shared PostgreSQL.',
    ),
    study: s.object(
      {
        stableAgeS: s.int({ doc: 'A study with no new instance for this long is complete (unless its RTSTRUCT proved completeness earlier).', default: 30, min: 1, max: 86400, unit: 's' }),
        withoutContours: s.enum(['wait', 'report'] as const, {
          doc: 'A CT study with no RTSTRUCT after the stable age: wait = it waits for contours and nothing is sent (processed when an RTSTRUCT arrives; retention still applies); report = answer it with an SR and ORU that say there is nothing to score.',
          default: 'wait',
        }),
        withoutImages: s.enum(['wait', 'report'] as const, {
          doc: 'An RTSTRUCT with no CT series in its frame of reference after the stable age: wait = it waits for the CT; report = answer it with an SR and ORU that say the study cannot be used.',
          default: 'wait',
        }),
      },
      'Study assembly.',
    ),
    imaging: s.object(
      {
        sliceSpacingToleranceMm: s.number({ doc: 'Largest deviation of a slice gap from the median gap before the series is called non-uniform.', default: 0.05, min: 0, max: 10, unit: 'mm' }),
        marginMm: s.number({ doc: 'Margin around the lesions kept when loading slices (must cover ring and resampling).', default: 20, min: 0, max: 200, unit: 'mm' }),
      },
      'CT volume and mask construction.',
    ),
    lesions: s.object(
      {
        includeTypes: s.list(s.string({ doc: '', default: 'GTV', nonEmpty: true }), {
          doc: 'RT ROI Interpreted Types that are lesions.',
          default: ['GTV'],
        }),
        excludeTypes: s.list(s.string({ doc: '', default: 'EXTERNAL', nonEmpty: true }), {
          doc: 'RT ROI Interpreted Types never scored (organ ROIs still serve to find the site).',
          default: ['EXTERNAL', 'ORGAN', 'AVOIDANCE', 'CONTROL', 'BOLUS', 'SUPPORT', 'PTV', 'CTV'],
        }),
        includeNames: s.list(s.string({ doc: '', default: '^gtv', check: regexProblem }), {
          doc: 'Case-insensitive regular expressions: an ROI whose name matches is a lesion even without an interpreted type.',
          default: ['^gtv', 'tumou?r', 'lesion', '^met', 'metast'],
        }),
        excludeNames: s.list(s.string({ doc: '', default: 'body', check: regexProblem }), {
          doc: 'Case-insensitive regular expressions: an ROI whose name matches is never a lesion.',
          default: [],
        }),
        defaultSite: s.enum(['liver', 'lung', 'lymph_node', 'head_and_neck', 'other', 'unknown'] as const, {
          doc: 'Site given to a lesion when neither an organ ROI nor its name tells.',
          default: 'unknown',
        }),
      },
      'Which RTSTRUCT ROIs are lesions, and their site.',
    ),
    score: s.object(
      {
        signature: s.string({ doc: 'Signature file evaluated per lesion (a relative path is looked up in the working directory, then in the install directory).', default: 'config/signatures/cd8-sun2018.json', nonEmpty: true }),
        defaultKvp: s.number({ doc: 'kVp assumed when (0018,0060) KVP is missing (the lesion is flagged).', default: 120, min: 40, max: 200, unit: 'kV' }),
        gates: s.object(
          {
            minVolumeMl: s.number({ doc: 'Lesions smaller than this are gated.', default: 1, min: 0, unit: 'ml' }),
            smallLesion: gateAction('Action for a lesion below minVolumeMl.', 'flag'),
            maxSliceThicknessMm: s.number({ doc: 'Series with thicker slices are gated.', default: 5, min: 0, unit: 'mm' }),
            thickSlices: gateAction('Action for slices thicker than maxSliceThicknessMm.', 'block'),
            ringOutsideImage: gateAction('Action when the peritumoral ring leaves the image or the body.', 'flag'),
            notCt: gateAction('Action when the modality is not CT.', 'block'),
            missingKvp: gateAction('Action when KVP is missing.', 'flag'),
            unknownSite: gateAction('Action when the lesion site is unknown.', 'flag'),
          },
          'Quality gates: "block" withholds the score with the reason, "flag" reports it beside the score, "off" ignores it.',
        ),
      },
      'CD8 score evaluation.',
    ),
    sources: s.object(
      {
        dicom: s.list(dicomSource, {
          doc: 'PACS to retrieve missing images from: when an RTSTRUCT references CT images that have not arrived by the stable age, the node asks these, in order, to send the series (C-MOVE). Empty = never retrieve.',
          default: [],
        }),
        maxAttempts: s.int({ doc: 'Retrievals of one study version before it waits with the last reason.', default: 5, min: 1, max: 100 }),
        initialBackoffS: s.int({ doc: 'Wait after the first failed retrieval; doubles each time.', default: 30, min: 1, unit: 's' }),
        maxBackoffS: s.int({ doc: 'Longest wait between two retrievals.', default: 1800, min: 1, unit: 's' }),
        idleTimeoutS: s.int({ doc: 'A PACS silent this long during a retrieval (no pending response) has failed it.', default: 120, min: 1, max: 3600, unit: 's' }),
        maxImagesPerRetrieval: s.int({ doc: 'Most images one retrieval (one series) may bring: a PACS that offers or sends more has the retrieval stopped.', default: 5000, min: 1, max: 65535 }),
        maxRetrievalMinutes: s.int({ doc: 'A retrieval still running after this long is stopped (and tried again later, as a failure).', default: 120, min: 1, max: 1440, unit: 'min' }),
      },
      'Fetching what is missing.',
    ),
    destinations: s.object(
      {
        dicom: s.list(dicomDestination, { doc: 'DICOM destinations for results (C-STORE SCU).', default: [] }),
        dicomweb: s.list(dicomwebDestination, { doc: 'DICOMweb destinations for results (STOW-RS): every result object the DICOM destinations get, once per study version.', default: [] }),
        hl7: s.list(hl7Destination, { doc: 'HL7 v2 MLLP destinations for the ORU^R01.', default: [] }),
      },
      'Where results are sent. With none, results stay in the data directory and in `cd8-node status`.',
    ),
    report: s.object(
      {
        seriesNumber: s.int({ doc: 'Series Number of the SR series we create.', default: 9901, min: 1, max: 2147483647 }),
        seriesDescription: s.string({ doc: 'Series Description of the SR series.', default: 'CD8 radiomics', nonEmpty: true }),
        summary: s.enum(['none', 'secondary-capture', 'pdf', 'both'] as const, {
          doc: 'Pictures sent beside the SR: an RGB Secondary Capture series (each lesion\'s key image and the summary page), an Encapsulated PDF of the same, both, or none.',
          default: 'secondary-capture',
        }),
        pictures: s.object(
          {
            sizePx: s.int({ doc: 'Width of a lesion\'s key image, pixels.', default: 512, min: 256, max: 2048, unit: 'px' }),
            maxLesions: s.int({
              doc: 'Key images per study at most (the first lesions in RTSTRUCT order); the summary page still lists every lesion. Bounds the memory and the objects one RTSTRUCT can cause.',
              default: 50,
              min: 0,
              max: 1000,
            }),
            softTissueWindow: s.object(
              {
                width: s.int({ doc: 'Window width, HU.', default: 400, min: 1, max: 10000, unit: 'HU' }),
                level: s.int({ doc: 'Window level (centre), HU.', default: 40, min: -2000, max: 4000, unit: 'HU' }),
              },
              'Grey window of the key images of lesions outside the lung.',
            ),
            lungWindow: s.object(
              {
                width: s.int({ doc: 'Window width, HU.', default: 1500, min: 1, max: 10000, unit: 'HU' }),
                level: s.int({ doc: 'Window level (centre), HU.', default: -600, min: -2000, max: 4000, unit: 'HU' }),
              },
              'Grey window of the key images of lung lesions.',
            ),
          },
          'The key images and summary page (Secondary Capture, PDF, PNG for the web page).',
        ),
        institutionName: s.string({ doc: 'Institution Name written in the SR (empty = copy from the CT).', default: '' }),
      },
      'The DICOM Structured Report.',
    ),
    hl7: s.object(
      {
        sendingApplication: s.string({ doc: 'MSH-3 Sending Application.', default: 'CD8NODE', nonEmpty: true }),
        sendingFacility: s.string({ doc: 'MSH-4 Sending Facility.', default: '' }),
        patientIdAuthority: s.string({ doc: 'PID-3 assigning authority when the DICOM has no Issuer of Patient ID.', default: '' }),
        ackTimeoutS: s.int({ doc: 'Time to wait for the ACK before a retry.', default: 30, min: 1, max: 600, unit: 's' }),
      },
      'The HL7 v2 ORU^R01.',
    ),
    delivery: s.object(
      {
        maxAttempts: s.int({ doc: 'Sends of one message before it is marked failed (0 = retry forever).', default: 20, min: 0 }),
        initialBackoffS: s.int({ doc: 'Wait after the first failure; doubles each time.', default: 10, min: 1, unit: 's' }),
        maxBackoffS: s.int({ doc: 'Longest wait between two tries.', default: 1800, min: 1, unit: 's' }),
      },
      'The outbox sender.',
    ),
    jobs: s.object(
      {
        concurrency: s.int({ doc: 'Studies processed at once.', default: 1, min: 1, max: 16 }),
        lesionThreads: s.int({
          doc: "Threads that compute one lesion's features: 1 = the tumour's, then the peritumoral ring's, on the analysis worker; 2 = both at once (lesions of 1 ml or more), the ring on a second worker thread kept beside the analysis worker (~30 MB more memory while idle, ~0.1–0.5 s more CPU per study; the features are the same). 2 answers sooner only when a core is free for it: measured on a 2-core machine busy with other work it was slower, so it is not the default (see End-to-end performance). A machine with one core always uses 1.",
          default: 1,
          min: 1,
          max: 2,
        }),
        maxAttempts: s.int({ doc: 'Tries of a job that failed for a transient reason.', default: 3, min: 1, max: 100 }),
        leaseS: s.int({
          doc: 'A running job is held by its node this long and renewed every third of it; when its node dies another node takes the job over after this long.',
          default: 60,
          min: 3,
          max: 3600,
          unit: 's',
        }),
      },
      'The processing queue.',
    ),
    schedules: s.object(
      {
        outboxRetry: s.string({ doc: 'Cron: retry sweep of the outbox.', default: '* * * * *', check: cronProblem }),
        retention: s.string({ doc: 'Cron: delete spooled images older than retention.spoolDays.', default: '30 3 * * *', check: cronProblem }),
        stuckStudySweep: s.string({ doc: 'Cron: queue studies that are ready but were never processed.', default: '*/5 * * * *', check: cronProblem }),
        dailySummary: s.string({ doc: 'Cron: one summary line in the log.', default: '0 7 * * *', check: cronProblem }),
      },
      'Schedules, in node-cron syntax (minute hour day month weekday).',
    ),
    retention: s.object(
      {
        spoolDays: s.int({ doc: 'Days to keep the images of a study after it was processed (0 = keep forever); the index and results are kept.', default: 30, min: 0, unit: 'days' }),
      },
      'Housekeeping.',
    ),
    http: s.object(
      {
        port: s.int({ doc: 'Port of /healthz, /readyz, /metrics and the web console (0 = disabled).', default: 8112, min: 0, max: 65535 }),
        bind: s.string({ doc: 'Address of the HTTP endpoint.', default: '127.0.0.1', nonEmpty: true }),
        trustProxy: s.list(s.string({ doc: '', default: '127.0.0.1', check: proxyAddressProblem }), {
          doc: 'Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For/-Proto is believed: the console then sees, rate-limits and audits the client behind them. Empty = none; a request that carries X-Forwarded-For or Forwarded then never gets the no-credential loopback access.',
          default: [],
        }),
        auth: s.object(
          {
            viewer: consoleRole('viewer (reads the console pages; patient identities hashed)'),
            admin: consoleRole('admin (also resend, retry, C-ECHO/MLLP tests; sees patient identities)'),
            sender: s.object(
              {
                tokenSha256: s.list(
                  s.string({ doc: '', default: '', check: (v) => (/^[0-9a-f]{64}$/i.test(v) ? undefined : 'must be 64 hexadecimal digits (e.g. from "printf %s TOKEN | sha256sum").') }),
                  { doc: 'SHA-256 (hex) of the bearer tokens of systems that store instances by STOW-RS ("Authorization: Bearer TOKEN"); the tokens themselves are never in the file.', default: [] },
                ),
              },
              'Systems that send images by DICOMweb STOW-RS (dicomweb.receive): a sender token may store and nothing else (the console refuses it). The admin token may store too; a viewer token, a console session and open loopback access never may.',
            ),
            protectProbes: s.bool({ doc: '/healthz, /readyz and /metrics also need a viewer or admin token (Authorization: Bearer).', default: false }),
            sessionMinutes: s.int({ doc: 'A console session ends after this long without a request.', default: 30, min: 1, max: 1440, unit: 'min' }),
          },
          'Who may use the web console. With no credential at all the console is read-only and answers on loopback only.',
        ),
      },
      'Health and metrics endpoint and the web console.',
    ),
    dicomweb: s.object(
      {
        receive: s.bool({ doc: 'Serve the STOW-RS receiver at POST /dicomweb/studies on the HTTP port: instances stored like C-STOREs (needs http.port and a token in http.auth.sender, or the admin token).', default: false }),
        maxRequestMb: s.int({ doc: 'Largest STOW-RS request body; a larger one is refused (413) and nothing of it stored. The body is held in memory while its instances are stored.', default: 512, min: 1, max: 4096, unit: 'MB' }),
        maxInstances: s.int({ doc: 'Most instances (parts) in one STOW-RS request.', default: 2000, min: 1, max: 100000 }),
        maxInstanceMb: s.int({ doc: 'Largest single instance (part) of a STOW-RS request.', default: 256, min: 1, max: 4096, unit: 'MB' }),
        maxConcurrentRequests: s.int({ doc: 'STOW-RS requests read at the same time (each body is held in memory up to maxRequestMb); one more is answered 503 with Retry-After.', default: 2, min: 1, max: 64 }),
      },
      'DICOMweb STOW-RS receiver.',
    ),
    log: s.object(
      {
        level: s.enum(['error', 'warn', 'info', 'debug'] as const, { doc: 'Log level.', default: 'info' }),
        format: s.enum(['auto', 'pretty', 'json'] as const, { doc: 'auto = readable on a terminal, JSON lines otherwise.', default: 'auto' }),
        auditFile: s.string({ doc: 'Append-only audit log: a file name relative to storage.dataDir, or an absolute path.', default: 'audit.log', nonEmpty: true }),
      },
      'Logging.',
    ),
  },
  'cd8-node configuration',
);

export type Config = Infer<typeof configSchema>;
export type DicomDestination = Config['destinations']['dicom'][number];
export type Hl7Destination = Config['destinations']['hl7'][number];
export type DicomSource = Config['sources']['dicom'][number];
export type DicomwebDestination = Config['destinations']['dicomweb'][number];
export type GateAction = Config['score']['gates']['smallLesion'];
