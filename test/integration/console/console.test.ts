/**
 * The web console in headless Chromium, against the node as an admin runs it (`cd8-node serve`),
 * a DCMTK storescp as the PACS and the python3-hl7 peer as the RIS: studies arrive by storescu
 * while the overview is open, the study page shows the lesion picture and every feature, the
 * admin retries an SR that failed while the PACS was down, and a viewer can neither act nor see
 * a patient name.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, ROOT, run, SHARED, waitFor } from '../../support/process';
import { DicomPeer, studyUidIn } from '../../support/dcmtk';
import { startStorescpOn } from '../../support/delivery';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { middayTimeZone, NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { testSignature } from '../../support/signatures';
import { launchChromium, laptopContext, logIn, waitForPicture } from '../../support/browser';
import { hashPassword } from '../../../src/config/passwordHash';
import { LOGIN_FAILURES_ALLOWED } from '../../../src/console/auth';
import { registeredFeatures } from '../../../src/radiomics/registry';
import { keptOutputDir } from '../../support/keptOutput';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const STS = join(SHARED, 'data', 'sts', 'STS_001', 'CT');
const ADMIN_PASSWORD = 'admin-password-for-tests';
const VIEWER_PASSWORD = 'viewer-password-for-tests';
/** Screenshots for people to look at (and for the README's docs/ pictures). */
export const SCREENSHOTS = process.env.CD8_CONSOLE_SCREENSHOTS ?? keptOutputDir('cd8-console-screenshots');
/** Patient names and IDs of the two studies: never in a viewer's page. */
const IDENTITIES = ['PAT1', 'STS_001'];

const storescu = async (port: number, ...dirs: string[]) => {
  const r = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(port), '+sd', ...dirs], { timeoutMs: 120_000 });
  expect(r.code).toBe(0);
};

describe('web console in Chromium', () => {
  let pacs: DicomPeer | undefined;
  let ris: Hl7Peer | undefined;
  let node: NodeProcess;
  let browser: Browser;
  let admin: BrowserContext;
  let base: string;
  let pacsPort: number;
  let phantomUid: string;
  let stsUid: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [phantomUid, stsUid] = await Promise.all([studyUidIn(join(PHANTOM, 'image')), studyUidIn(join(STS, 'image'))]);
    const dir = mkdtempSync(join(tmpdir(), 'cd8-console-'));
    const signature = join(dir, 'signature.json');
    writeFileSync(signature, JSON.stringify(testSignature({ preprocessing: { radiomicsSettings: join(ROOT, 'config', 'radiomics', 'cd8.json'), status: 'verified', note: 'test' } })));
    pacsPort = await freePort();
    pacs = await startStorescpOn('PACS', pacsPort);
    ris = await startHl7Peer();
    const cheap = { n: 2 ** 12, r: 8, p: 1 };
    const config = {
      destinations: {
        dicom: [{ name: 'pacs', aeTitle: 'PACS', host: '127.0.0.1', port: pacsPort }],
        hl7: [{ name: 'ris', host: '127.0.0.1', port: ris.port }],
      },
      // One try: a PACS that is down makes the SR "failed" at once, for the admin to retry.
      delivery: { maxAttempts: 1 },
      score: { signature },
      http: { auth: { admin: { passwordHash: hashPassword(ADMIN_PASSWORD, cheap) }, viewer: { passwordHash: hashPassword(VIEWER_PASSWORD, cheap) } } },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    // The overview counts today's studies: the node runs where it is noon, far from midnight.
    node = await startNodeProcess({ CD8_CONFIG: join(dir, 'config.json'), CD8_STABLE_AGE_S: '3', TZ: middayTimeZone() });
    base = `http://127.0.0.1:${node.httpPort}`;
    browser = await launchChromium();
    admin = await laptopContext(browser);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([node?.stop(), pacs?.stop(), ris?.stop()]);
  });

  /** The outbox page's row of a study's message (e.g. /SR/), or undefined while there is none. */
  const outboxRow = async (page: Page, study: string, kind: RegExp) => {
    await page.goto(`${base}/outbox`);
    const rows = page.locator('table.outbox tbody tr').filter({ has: page.locator(`a[href="/studies/${study}"]`) }).filter({ hasText: kind });
    return (await rows.count()) > 0 ? rows.first() : undefined;
  };
  const rowState = async (page: Page, study: string, kind: RegExp) => (await (await outboxRow(page, study, kind))?.getAttribute('data-state')) ?? undefined;

  it('shows the studies arriving on the overview without a reload, then a study with its lesion picture and every feature', async () => {
    const page = await admin.newPage();
    await logIn(page, base, 'admin', ADMIN_PASSWORD);
    // A reload would drop this marker.
    await page.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true));
    await storescu(node.port, join(PHANTOM, 'image'), join(PHANTOM, 'mask'));
    const row = page.locator(`#studies tr[data-study="${phantomUid}"]`);
    await row.locator('.state-done').waitFor({ timeout: 90_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);
    await expect(page.locator('#today').innerText()).resolves.toMatch(/1\s+study versions analysed/);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png') });

    await Promise.all([page.waitForURL(`${base}/studies/${phantomUid}`), row.locator('a').first().click()]);
    const picture = page.locator('section.lesion img').first();
    await waitForPicture(picture);
    await page.screenshot({ path: join(SCREENSHOTS, 'study.png') });
    // The picture is the report's key image of the lesion, as saved beside the results.
    const served = await page.request.get(`${base}/studies/${phantomUid}/versions/1/lesions/0/picture.png`);
    expect(Buffer.from(await served.body()).equals(readFileSync(join(node.dataDir, 'pictures', phantomUid, '1', 'lesion-0.png')))).toBe(true);
    const summary = await page.request.get(`${base}/studies/${phantomUid}/versions/1/report.png`);
    expect([summary.status(), summary.headers()['content-type']]).toEqual([200, 'image/png']);
    // The admin sees who the study belongs to.
    expect(await page.locator('main').innerText()).toContain('PAT1');

    // The table has every feature the analysis computed for tumour and ring, each by IBSI name and code.
    const json = (await (await page.request.get(`${base}/studies/${phantomUid}/versions/1/features.json`)).json()) as { lesions: Array<{ features: Array<{ tag: string; ibsiCode: string; region: string }> }> };
    const features = json.lesions[0].features;
    expect(features.length).toBeGreaterThan(300);
    const registry = new Map(registeredFeatures().map((d) => [d.tag, d.code]));
    expect(features.filter((f) => registry.get(f.tag) !== f.ibsiCode || f.ibsiCode === '')).toEqual([]);
    expect(new Set(features.map((f) => f.region))).toEqual(new Set(['tumour', 'ring']));
    const table = page.locator('table.features').first();
    expect(await table.locator('tbody tr').count()).toBe(features.length);
    const codes = await table.locator('tbody tr td:nth-child(5)').allInnerTexts();
    expect(codes.sort()).toEqual(features.map((f) => f.ibsiCode).sort());
    await page.fill('input[data-filter="features-0"]', 'Joint maximum');
    expect(await table.locator('tbody tr:not([hidden])').count()).toBe(features.filter((f) => f.tag === 'cm_joint_max').length);
    await page.fill('input[data-filter="features-0"]', '');
    await picture.screenshot({ path: join(SCREENSHOTS, 'lesion-picture.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="features.csv"]')]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('lesion,roi_number,roi_name,region,family,ibsi_name,ibsi_tag,ibsi_code,aggregation,aggregation_code,value');
    expect(csv.length - 1).toBe(features.length);
    await page.close();
  }, 180_000);

  it('lets the admin retry an SR that failed while the PACS was down, and see it sent', async () => {
    const page = await admin.newPage();
    await page.goto(`${base}/`);
    await waitFor('the phantom SR at the PACS', async () => ((await rowState(page, phantomUid, /SR/)) === 'sent' ? true : undefined), 60_000, 1000);
    await pacs!.stop();
    await storescu(node.port, join(STS, 'image'), join(STS, 'mask'));
    await waitFor('the STS_001 SR to fail', async () => ((await rowState(page, stsUid, /SR/)) === 'failed' ? true : undefined), 180_000, 1000);
    const sr = (await outboxRow(page, stsUid, /SR/))!;
    expect(await sr.innerText()).toMatch(/refused|connect/i);
    await page.screenshot({ path: join(SCREENSHOTS, 'outbox-failed.png') });

    pacs = await startStorescpOn('PACS', pacsPort);
    await Promise.all([page.waitForURL(`${base}/outbox`), sr.getByRole('button', { name: 'Retry now' }).click()]);
    await expect(page.locator('.flash.ok').innerText()).resolves.toMatch(/tried again now/);
    await waitFor('the STS_001 SR to be sent', async () => ((await rowState(page, stsUid, /SR/)) === 'sent' ? true : undefined), 60_000, 1000);
    await page.goto(`${base}/`);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-two-studies.png') });

    // C-ECHO and the MLLP test from the configuration page.
    await page.goto(`${base}/configuration`);
    await expect(page.locator('#verdict').innerText()).resolves.toMatch(/valid/);
    await Promise.all([page.waitForURL(`${base}/configuration`), page.getByRole('button', { name: 'C-ECHO' }).click()]);
    await expect(page.locator('.flash').innerText()).resolves.toMatch(/C-ECHO PACS@127\.0\.0\.1:\d+: Success/);
    await Promise.all([page.waitForURL(`${base}/configuration`), page.getByRole('button', { name: 'MLLP test' }).click()]);
    await expect(page.locator('.flash').innerText()).resolves.toMatch(/accepts connections/);
    await page.screenshot({ path: join(SCREENSHOTS, 'configuration.png') });
    expect(await page.locator('main').innerText()).not.toMatch(/scrypt\$/);

    // Every action is in the audit trail, searchable by study.
    await page.goto(`${base}/audit?study=${stsUid}`);
    expect(await page.locator('#audit').innerText()).toMatch(/console\.action \(retry\) \[admin\]/);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit.png') });
    await page.close();
  }, 300_000);

  it('gives a viewer every page without a patient name, and 403 for every action', async () => {
    const viewer = await laptopContext(browser);
    const page = await viewer.newPage();
    await logIn(page, base, 'viewer', VIEWER_PASSWORD);
    for (const path of ['/', `/studies/${phantomUid}`, `/studies/${stsUid}`, '/outbox', '/configuration', '/audit']) {
      await page.goto(`${base}${path}`);
      const text = await page.locator('body').innerText();
      for (const id of IDENTITIES) expect({ path, shows: text.includes(id) ? id : null }).toEqual({ path, shows: null });
      expect(await page.locator('main form[method="post"]').count()).toBe(0);
      if (path === `/studies/${phantomUid}`) {
        await page.locator('section.lesion img').first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(SCREENSHOTS, 'study-viewer.png') });
      }
    }
    // Even with the session's own CSRF token (from the logout form), no action is allowed.
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const failedRow = (await readOutboxIds(page, base))[0];
    // The report's summary page and PDF show the patient's identity.
    expect((await page.request.get(`${base}/studies/${phantomUid}/versions/1/report.png`)).status()).toBe(403);
    for (const action of [`/studies/${stsUid}/resend`, `/outbox/${failedRow}/retry`, '/configuration/dicom/0/echo', '/configuration/hl7/0/test']) {
      const r = await page.request.post(`${base}${action}`, { form: { _csrf: csrf! }, maxRedirects: 0 });
      expect({ action, status: r.status() }).toEqual({ action, status: 403 });
    }
    await viewer.close();
  }, 120_000);

  it('refuses an admin form without its CSRF token, answers 404 and 400 pages, and keeps the probes open', async () => {
    const page = await admin.newPage();
    const resend = await page.request.post(`${base}/studies/${stsUid}/resend`, { form: { _csrf: 'not-the-token' }, maxRedirects: 0 });
    expect(resend.status()).toBe(403);
    expect(await resend.text()).toMatch(/CSRF/);

    // From the overview's "open a study" field, with the keyboard only: the skip link comes first.
    await page.goto(`${base}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Skip to content');
    await page.fill('input[name="uid"]', '1.2.826.0.1.3680043.2.1125.999.1');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/studies/1.2.826.0.1.3680043.2.1125.999.1`);
    const unknown = await page.goto(`${base}/studies/1.2.826.0.1.3680043.2.1125.999.1`);
    expect(unknown!.status()).toBe(404);
    expect(await page.locator('main').innerText()).toMatch(/No study 1\.2\.826\.0\.1\.3680043\.2\.1125\.999\.1 on this node/);
    const malformed = await page.goto(`${base}/studies/not-a-uid`);
    expect(malformed!.status()).toBe(400);
    expect(await page.locator('main').innerText()).toMatch(/is not a Study Instance UID/);
    expect((await page.goto(`${base}/studies/${phantomUid}?version=1`))!.status()).toBe(200);
    expect((await page.goto(`${base}/studies/${phantomUid}?version=7`))!.status()).toBe(404);
    expect(await page.locator('main').innerText()).toMatch(/has no version 7; it has 1/);
    expect((await page.goto(`${base}/studies/${phantomUid}?version=one`))!.status()).toBe(400);
    expect((await page.goto(`${base}/audit?date=yesterday`))!.status()).toBe(400);
    expect((await page.goto(`${base}/audit?ae=${'A'.repeat(200)}`))!.status()).toBe(400);
    expect((await page.goto(`${base}/studies/${phantomUid}/versions/x/features.csv`))!.status()).toBe(400);
    const badJson = await page.request.post(`${base}/login`, { headers: { 'content-type': 'application/json' }, data: '{"role": ', maxRedirects: 0 });
    expect(badJson.status()).toBe(400);
    const tooBig = await page.request.post(`${base}/login`, { form: { role: 'admin', password: 'x'.repeat(40_000) }, maxRedirects: 0 });
    expect(tooBig.status()).toBe(413);

    const anonymous = await browser.newContext();
    expect((await anonymous.request.get(`${base}/healthz`)).status()).toBe(200);
    expect((await anonymous.request.get(`${base}/metrics`)).status()).toBe(200);
    const redirected = await anonymous.request.get(`${base}/outbox`, { maxRedirects: 0 });
    expect([redirected.status(), redirected.headers().location]).toEqual([303, '/login']);
    await anonymous.close();
    await page.close();
  }, 60_000);

  it('audits failed logins and refuses more after too many from one address', async () => {
    const context = await browser.newContext();
    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_FAILURES_ALLOWED; i++) {
      statuses.push((await context.request.post(`${base}/login`, { form: { role: 'admin', password: `wrong-${i}` }, maxRedirects: 0 })).status());
    }
    expect(statuses).toEqual([...Array(LOGIN_FAILURES_ALLOWED).fill(401), 429]);
    // Even the right password waits now.
    expect((await context.request.post(`${base}/login`, { form: { role: 'admin', password: ADMIN_PASSWORD }, maxRedirects: 0 })).status()).toBe(429);
    const audit = readFileSync(join(node.dataDir, 'audit.log'), 'utf8');
    expect(audit.match(/"event":"console\.login-failed"/g)?.length).toBe(LOGIN_FAILURES_ALLOWED + 2);
    await context.close();
  });
});

/** Ids of the outbox rows, as the outbox page lists them. */
async function readOutboxIds(page: Page, base: string): Promise<number[]> {
  await page.goto(`${base}/outbox`);
  return (await page.locator('table.outbox tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.id.replace('outbox-', ''))))).filter((n) => n > 0);
}

describe('web console without credentials', () => {
  let node: NodeProcess | undefined;
  afterAll(async () => {
    await node?.stop();
  });

  it('is read-only on loopback and says so on every page', async () => {
    node = await startNodeProcess();
    const base = `http://127.0.0.1:${node.httpPort}`;
    for (const path of ['/', '/outbox', '/configuration', '/audit']) {
      const r = await fetch(`${base}${path}`, { headers: { connection: 'close' } });
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      expect(await r.text()).toMatch(/Read-only console: no credential is configured \(http\.auth\)/);
    }
    const retry = await fetch(`${base}/outbox/1/retry`, { method: 'POST', headers: { connection: 'close', 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=x', redirect: 'manual' });
    expect(retry.status).toBe(403);
    expect(node.logs().some((l) => /the console is read-only, loopback only/.test(l.message))).toBe(true);
  }, 60_000);
});

describe('cd8-node console hash-password', () => {
  it('prints a scrypt hash the node accepts for the password on stdin, or a token with its SHA-256', async () => {
    const { verifyPassword: verify, verifyToken } = await import('../../../src/config/passwordHash');
    const hash = await run(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'console', 'hash-password'], { input: 'a long passphrase\n' });
    expect(hash.code).toBe(0);
    expect(await verify('a long passphrase', hash.stdout.trim())).toBe(true);
    const short = await run(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'console', 'hash-password'], { input: 'short\n' });
    expect([short.code, short.stderr]).toEqual([2, expect.stringMatching(/at least 12 characters/)]);
    const token = await run(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'console', 'hash-password', '--token']);
    const m = /token: +(\S+)\ntokenSha256: ([0-9a-f]{64})/.exec(token.stdout);
    expect(m).not.toBeNull();
    expect(verifyToken(m![1], m![2])).toBe(true);
  });
});
