/**
 * The node's STOW-RS receiver (POST /dicomweb/studies): the phantom posted by clients (our STOW-RS
 * client with a bearer token, and curl), one request killed mid-body: nothing of it is stored,
 * every instance answered 200 is in the index and the spool, and once the rest is posted the study
 * is processed. Malformed requests get a clear status and a log line and leave nothing behind.
 * Orthanc's own DICOMweb client pushing a study is taken as it encodes it (a 73-character boundary).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runCli, SHARED, waitFor } from '../../support/process';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { Orthanc, startOrthanc } from '../../support/orthanc';
import { halfStored } from '../ingest/support';
import { stowRs } from '../../../src/dicom/stowRs';
import { writeDicomMultipart } from '../../../src/dicom/multipart';
import { readFileMeta } from '../../../src/dicom/part10';
import { openSqliteReadOnly } from '../../../src/db/sqlite';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';
const TOKEN = 'stow-test-token-4f1c';
const VIEWER_TOKEN = 'viewer-token-77d0';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const images = readdirSync(join(PHANTOM, 'image')).map((f) => readFileSync(join(PHANTOM, 'image', f)));
const rtstruct = readFileSync(join(PHANTOM, 'mask', 'DCM_RS_00060.dcm'));

function indexed(node: NodeProcess): string[] {
  const db = openSqliteReadOnly(node.dataDir);
  try {
    return (db.prepare('SELECT sop_instance_uid AS uid FROM instances').all() as Array<{ uid: string }>).map((r) => r.uid).sort();
  } finally {
    db.close();
  }
}

const uids = (objects: Buffer[]) => objects.map((o) => readFileMeta(o).sopInstanceUid).sort();

async function post(node: NodeProcess, contentType: string | undefined, body: Buffer, auth = `Bearer ${TOKEN}`): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { connection: 'close' };
  if (contentType) headers['content-type'] = contentType;
  if (auth) headers.authorization = auth;
  const res = await fetch(`http://127.0.0.1:${node.httpPort}/dicomweb/studies`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

describe('the STOW-RS receiver', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-stow-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        dicomweb: { receive: true, maxRequestMb: 8, maxInstances: 100, maxInstanceMb: 4, maxConcurrentRequests: 1 },
        // The console's roles on the same port: the sender token stores, the viewer token may not.
        http: { auth: { sender: { tokenSha256: [sha(TOKEN)] }, viewer: { passwordHash: null, tokenSha256: sha(VIEWER_TOKEN) } } },
      }),
    );
    node = await startNodeProcess({ CD8_CONFIG: config, CD8_SR_DESTINATION: '', CD8_HL7_DESTINATION: '', CD8_STABLE_AGE_S: '3600' });
  }, 60000);
  afterAll(async () => {
    await node?.stop();
  });

  it('stores what is answered 200, nothing of a request killed mid-body, and processes the study once complete', async () => {
    const first = images.slice(0, 30);
    const rest = [...images.slice(30), rtstruct];
    // A client with a bearer token: 30 CT images, answered 200, each listed as stored.
    const a = await stowRs({ url: `http://127.0.0.1:${node.httpPort}/dicomweb`, auth: { bearer: TOKEN }, timeoutMs: 60000 }, first);
    expect(a).toMatchObject({ ok: true, status: 200 });
    expect(indexed(node)).toEqual(uids(first));

    // curl posting the rest at 200 kB/s, killed after about a second (of ~13 s).
    const dir = mkdtempSync(join(tmpdir(), 'cd8-stow-kill-'));
    const { contentType, body } = writeDicomMultipart(rest);
    writeFileSync(join(dir, 'body'), body);
    const curl = spawn('curl', ['-sS', '--limit-rate', '200k', '-X', 'POST', '-H', `Content-Type: ${contentType}`, '-H', `Authorization: Bearer ${TOKEN}`, '--data-binary', `@${join(dir, 'body')}`, `http://127.0.0.1:${node.httpPort}/dicomweb/studies`]);
    await new Promise((r) => setTimeout(r, 1200));
    expect(curl.exitCode).toBeNull(); // still sending
    curl.kill('SIGKILL');
    const aborted = await waitFor('the abort log line', () => node.logs().find((l) => /^STOW-RS request from .* aborted: the client went away after \d+ bytes/.test(l.message)), 15000);
    expect(aborted.level).toBe('warn');
    expect(indexed(node)).toEqual(uids(first));
    expect(halfStored(node.dataDir)).toEqual([]);

    // The same body in full by curl: 200, and the study is complete and processed.
    const full = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn('curl', ['-sS', '-w', '\\n%{http_code}', '-X', 'POST', '-H', `Content-Type: ${contentType}`, '-H', `Authorization: Bearer ${TOKEN}`, '--data-binary', `@${join(dir, 'body')}`, `http://127.0.0.1:${node.httpPort}/dicomweb/studies`]);
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', (code) => resolve({ code, out }));
    });
    expect(full.code).toBe(0);
    expect(full.out.trim().split('\n').pop()).toBe('200');
    const response = JSON.parse(full.out.trim().split('\n')[0]) as Record<string, { Value: Array<Record<string, { Value: string[] }>> }>;
    expect(response['00081199'].Value.map((i) => i['00081155'].Value[0]).sort()).toEqual(uids(rest));
    expect(indexed(node)).toEqual(uids([...first, ...rest]));
    await waitFor('the study processed', () => node.logs().find((l) => /^study processed: /.test(l.message) && l.studyInstanceUid === PHANTOM_STUDY), 120000);
  }, 240000);

  it('answers malformed requests with a clear status and a log line, storing nothing', async () => {
    const before = indexed(node);
    const { contentType, body } = writeDicomMultipart([images[0]]);
    const send = (parts: Buffer[]) => {
      const m = writeDicomMultipart(parts);
      return post(node, m.contentType, m.body);
    };
    const MB = 1024 * 1024;
    const cases: Array<[string, () => Promise<{ status: number; text: string }>, number, RegExp]> = [
      ['no token', () => post(node, contentType, body, ''), 401, /authentication required/],
      ['a wrong token', () => post(node, contentType, body, 'Bearer not-the-token'), 401, /authentication required/],
      ['a viewer token', () => post(node, contentType, body, `Bearer ${VIEWER_TOKEN}`), 403, /a viewer token may not store instances/],
      ['no boundary', () => post(node, 'multipart/related; type="application/dicom"', body), 400, /has no boundary parameter/],
      ['a wrong content type', () => post(node, 'application/json', Buffer.from('{}')), 415, /Content-Type must be multipart\/related; type="application\/dicom" \(got "application\/json"\)/],
      ['another part type', () => post(node, contentType.replace('application/dicom', 'application/dicom+xml'), body), 415, /only type="application\/dicom" parts/],
      ['a body cut off', () => post(node, contentType, body.subarray(0, body.length - 100)), 400, /no closing boundary: the body was cut off/],
      ['too many parts', () => send(Array.from({ length: 101 }, () => Buffer.from('x'))), 413, /more than 100 parts/],
      ['a part too large', () => send([Buffer.alloc(5 * MB)]), 413, /part 1 is 5242880 bytes, more than the 4194304 allowed/],
      ['a body too large', () => send([Buffer.alloc(3 * MB), Buffer.alloc(3 * MB), Buffer.alloc(3 * MB)]), 413, /more than the 8388608 allowed/],
    ];
    // A body too large without Content-Length (chunked): read up to the bound, then refused.
    const big = join(mkdtempSync(join(tmpdir(), 'cd8-stow-big-')), 'body');
    const bigBody = writeDicomMultipart([Buffer.alloc(3 * MB), Buffer.alloc(3 * MB), Buffer.alloc(3 * MB)]);
    writeFileSync(big, bigBody.body);
    cases.push([
      'a chunked body too large',
      async () => {
        const r = await run('curl', ['-sS', '-w', '\\n%{http_code}', '-X', 'POST', '-H', 'Transfer-Encoding: chunked', '-H', `Content-Type: ${bigBody.contentType}`, '-H', `Authorization: Bearer ${TOKEN}`, '--data-binary', `@${big}`, `http://127.0.0.1:${node.httpPort}/dicomweb/studies`]);
        const lines = r.stdout.trim().split('\n');
        return { status: Number(lines.pop()), text: `${lines.join('\n')}${r.stderr}` };
      },
      413,
      /the request body exceeds the 8388608 bytes allowed/,
    ]);
    // One at a time: the receiver reads one request at once here (maxConcurrentRequests 1).
    for (const [what, request, status, text] of cases) {
      const r = await request().catch((e: Error & { cause?: Error }) => ({ status: 0, text: `${e.message}: ${e.cause?.message}` }));
      expect({ what, status: r.status, text: r.text }).toEqual({ what, status, text: expect.stringMatching(text) });
    }
    // A part that is not DICOM: the request is understood, the instance fails (409, Failed SOP Sequence, reason 0xC000).
    const notDicom = writeDicomMultipart([Buffer.from('this is not a DICOM file at all, just text')]);
    const r = await post(node, notDicom.contentType, notDicom.body);
    expect(r.status).toBe(409);
    expect(JSON.parse(r.text)).toEqual({ '00081198': { vr: 'SQ', Value: [{ '00081197': { vr: 'US', Value: [0xc000] } }] } });
    // One good and one bad instance: 202, the good one stored.
    const mixed = writeDicomMultipart([images[0], Buffer.from('junk')]);
    const m = await post(node, mixed.contentType, mixed.body);
    expect(m.status).toBe(202);
    expect(Object.keys(JSON.parse(m.text)).sort()).toEqual(['00081198', '00081199']);

    // One request at a time (maxConcurrentRequests 1): a second one while curl trickles a body is
    // told to come back. (A probe in flight when curl connects turns curl away instead: start it again.)
    const trickle = () => {
      const c = spawn('curl', ['-sS', '--limit-rate', '20k', '-X', 'POST', '-H', `Content-Type: ${contentType}`, '-H', `Authorization: Bearer ${TOKEN}`, '--data-binary', '@-', `http://127.0.0.1:${node.httpPort}/dicomweb/studies`]);
      c.stdin.end(body);
      return c;
    };
    let slow = trickle();
    await waitFor(
      'a request refused while the slow one is read',
      async () => {
        if (slow.exitCode !== null) slow = trickle();
        return (await post(node, contentType, body, '')).status === 503 || undefined;
      },
      30000,
    );
    slow.kill('SIGKILL');
    await waitFor('the slow request given up', () => node.logs().filter((l) => / aborted: the client went away/.test(l.message)).length >= 2 || undefined, 15000);

    const logs = node.logs().map((l) => l.message);
    expect(logs.some((l) => /^STOW-RS request from .* refused \(503\): 1 STOW-RS requests are being read already \(dicomweb\.maxConcurrentRequests\)/.test(l))).toBe(true);
    for (const status of [401, 403, 400, 415, 413]) expect(logs.some((l) => new RegExp(`^STOW-RS request from .* refused \\(${status}\\): `).test(l))).toBe(true);
    expect(logs.some((l) => /^STOW-RS part 1 from .* not stored: not a DICOM Part 10 instance/.test(l))).toBe(true);
    expect(indexed(node)).toEqual(before);
    expect(halfStored(node.dataDir)).toEqual([]);
    // The node still answers status after all this.
    expect((await runCli(['status'], node.env)).code).toBe(0);
  }, 120000);

  it('lets a sender in while a client without a token trickles a refused body (its rest is dropped without a slot)', async () => {
    // maxConcurrentRequests 1: a refused body that kept the slot would answer the sender 503.
    const { contentType, body } = writeDicomMultipart([images[0]]);
    const refusedBefore = node.logs().filter((l) => /^STOW-RS request from .* refused \(401\)/.test(l.message)).length;
    const intruder = spawn('curl', ['-sS', '--limit-rate', '20k', '-X', 'POST', '-H', `Content-Type: ${contentType}`, '--data-binary', '@-', `http://127.0.0.1:${node.httpPort}/dicomweb/studies`]);
    intruder.stdin.end(Buffer.alloc(4 * 1024 * 1024));
    try {
      await waitFor('the trickling client refused', () => node.logs().filter((l) => /^STOW-RS request from .* refused \(401\)/.test(l.message)).length > refusedBefore || undefined, 15000);
      const r = await post(node, contentType, body);
      expect(intruder.exitCode).toBeNull(); // its body was still being dropped
      expect(r.status).toBe(200);
    } finally {
      intruder.kill('SIGKILL');
    }
  }, 60000);

  it('shares the HTTP port with the console: a viewer token reads pages, a sender token opens none', async () => {
    const page = (token: string) => fetch(`http://127.0.0.1:${node.httpPort}/outbox`, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
    expect((await page(VIEWER_TOKEN)).status).toBe(200);
    expect((await page(TOKEN)).status).toBe(303); // to the login page
    // Another method on the STOW path is not a way in.
    expect((await fetch(`http://127.0.0.1:${node.httpPort}/dicomweb/studies`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  }, 120000);

  // Last of this node's tests: it leaves 127.0.0.1 refused for the login window.
  it('counts wrong tokens like failed logins: after too many, the address is told to wait (429), the right token included', async () => {
    const { contentType, body } = writeDicomMultipart([images[0]]);
    let wrong = 0;
    for (;;) {
      const r = await post(node, contentType, body, `Bearer guess-${wrong}`);
      if (r.status === 429) break;
      expect(r.status).toBe(401);
      expect(++wrong).toBeLessThanOrEqual(5);
    }
    const res = await fetch(`http://127.0.0.1:${node.httpPort}/dicomweb/studies`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${TOKEN}`, connection: 'close' }, body });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.text()).toMatch(/too many wrong tokens from /);
    expect(node.logs().some((l) => /^STOW-RS request from .* refused \(429\): too many wrong tokens/.test(l.message))).toBe(true);
  }, 60000);
});

describe('Orthanc pushing a study to the node by STOW-RS (its DICOMweb client)', () => {
  let node: NodeProcess;
  let orthanc: Orthanc;
  afterAll(async () => {
    await Promise.all([node?.stop(), orthanc?.stop()]);
  });

  it("stores every instance Orthanc sends, as Orthanc's own STOW-RS client encodes them, and the study is processed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-stow-orthanc-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ dicomweb: { receive: true }, http: { auth: { sender: { tokenSha256: [sha(TOKEN)] } } } }));
    node = await startNodeProcess({ CD8_CONFIG: config, CD8_SR_DESTINATION: '', CD8_HL7_DESTINATION: '', CD8_STABLE_AGE_S: '3600' });
    orthanc = await startOrthanc({
      dicomweb: true,
      settings: { DicomWeb: { Enable: true, Root: '/dicom-web/', Servers: { cd8: { Url: `http://127.0.0.1:${node.httpPort}/dicomweb/`, HttpHeaders: { Authorization: `Bearer ${TOKEN}` } } } } },
    });
    for (const f of [...images, rtstruct]) await orthanc.post('/instances', f);
    const [study] = await orthanc.get<string[]>('/studies');
    // Synchronous: Orthanc answers once the node answered its STOW-RS requests (an HTTP error there is an exception here).
    await orthanc.post('/dicom-web/servers/cd8/stow', JSON.stringify({ Resources: [study], Synchronous: true }), 'application/json');
    expect(indexed(node)).toEqual(uids([...images, rtstruct]));
    // The RTSTRUCT lists every image and all are here: processed at once, whatever the stable age.
    await waitFor('the study processed', () => node.logs().find((l) => /^study processed: /.test(l.message) && l.studyInstanceUid === PHANTOM_STUDY), 120000);
    const stowLines = node.logs().filter((l) => /^STOW-RS from /.test(l.message));
    expect(stowLines.length).toBeGreaterThan(0);
    expect(stowLines.every((l) => /: (\d+) of \1 instance\(s\) stored$/.test(l.message))).toBe(true);
  }, 180000);
});
