import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfigText, validateRaw } from '../../../src/config/load';
import { configSchema } from '../../../src/config/schema';
import { configReferenceMarkdown, defaultConfigYaml } from '../../../src/config/document';
import { configValueRows } from '../../../src/config/verdict';
import { ROOT } from '../../support/process';

const errorsOf = (text: string, env: NodeJS.ProcessEnv = {}) =>
  parseConfigText(text, 'node.yaml', env).issues.filter((i) => i.severity === 'error');

describe('configuration', () => {
  it('starts on the embedded defaults with no file, and warns that any caller is accepted', () => {
    const loaded = loadConfig(null, {});
    expect(loaded.config).toEqual(configSchema.defaultValue());
    expect(loaded.config?.dicom).toMatchObject({ aeTitle: 'CD8NODE', port: 11112, allowedCallers: ['*'] });
    expect(loaded.issues).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'dicom.allowedCallers', message: expect.stringContaining('any calling AE title is accepted') }),
    ]);
  });

  it('ships config/default.yaml that is exactly the generated, commented defaults, and valid', () => {
    const file = join(ROOT, 'config', 'default.yaml');
    expect(readFileSync(file, 'utf8')).toBe(defaultConfigYaml());
    const loaded = loadConfig(file, {});
    expect(loaded.config).toEqual(configSchema.defaultValue());
    expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('checks the workflow keys: a STOW-RS receiver needs a token, a C-MOVE source must be an allowed caller, DICOMweb names are unique', () => {
    const issues = (text: string) => parseConfigText(text, 'node.yaml', {}).issues.map((i) => ({ path: i.path, severity: i.severity, message: i.message }));
    expect(issues('dicomweb:\n  receive: true\n')).toContainEqual(
      expect.objectContaining({ path: expect.stringMatching(/http\.auth\.sender\.tokenSha256$/), severity: 'error', message: expect.stringMatching(/requires authentication/) }),
    );
    // A sender token (or the admin token) is enough.
    const sha = 'ab'.repeat(32);
    expect(issues(`dicomweb:\n  receive: true\nhttp:\n  auth:\n    sender:\n      tokenSha256: [${sha}]\n`).filter((i) => i.severity === 'error')).toEqual([]);
    expect(issues(`dicomweb:\n  receive: true\nhttp:\n  auth:\n    admin:\n      tokenSha256: ${sha}\n`).filter((i) => i.severity === 'error')).toEqual([]);
    expect(issues('http:\n  auth:\n    sender:\n      tokenSha256: [abc]\n')).toContainEqual(expect.objectContaining({ severity: 'error', message: expect.stringMatching(/64 hexadecimal digits/) }));
    const source = 'sources:\n  dicom:\n    - { name: pacs, aeTitle: PACS, host: 10.0.0.5, port: 104 }\n';
    expect(issues(`dicom:\n  allowedCallers: [MODALITY]\n${source}`)).toContainEqual(
      expect.objectContaining({ path: expect.stringMatching(/sources\.dicom\[0\]\.aeTitle$/), severity: 'warning', message: expect.stringMatching(/"PACS" is not in dicom.allowedCallers/) }),
    );
    expect(issues(`dicom:\n  allowedCallers: [PACS@10.0.0.5]\n${source}`).filter((i) => /sources/.test(i.path))).toEqual([]);
    expect(
      issues('destinations:\n  dicom:\n    - { name: a, aeTitle: PACS, host: h, port: 104 }\n  dicomweb:\n    - { name: a, url: "https://x/dicom-web", username: u }\n'),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: expect.stringMatching(/destinations\.dicomweb\[0\]\.name$/), severity: 'error', message: expect.stringMatching(/also the name of destinations.dicom\[0\]/) }),
        expect.objectContaining({ severity: 'error', message: expect.stringMatching(/needs both username and password/) }),
      ]),
    );
    expect(issues('destinations:\n  dicomweb:\n    - { name: w, url: "ftp://x" }\n')).toContainEqual(expect.objectContaining({ severity: 'error', message: expect.stringMatching(/must be an http:\/\/ or https:\/\/ URL/) }));
  });

  it('hides the DICOMweb secrets on the console configuration page', () => {
    const text = `destinations:\n  dicomweb:\n    - { name: a, url: "https://x/dicom-web", username: u, password: s3cret }\n    - { name: b, url: "https://y/dicom-web", bearerToken: t0ken }\nhttp:\n  auth:\n    sender:\n      tokenSha256: [${'ab'.repeat(32)}]\n`;
    const config = parseConfigText(text, 'node.yaml', {}).config!;
    const rows = configValueRows(config, null, {});
    const value = (path: string) => rows.find((r) => r.path === path)?.value;
    expect(value('destinations.dicomweb[0].username')).toBe('u');
    for (const secret of ['destinations.dicomweb[0].password', 'destinations.dicomweb[1].bearerToken', 'http.auth.sender.tokenSha256']) expect({ secret, value: value(secret) }).toEqual({ secret, value: '(hidden)' });
    expect(JSON.stringify(rows)).not.toMatch(/s3cret|t0ken|abab/);
  });

  it('rejects a misspelled key, naming its line and the key it resembles', () => {
    expect(errorsOf('dicom:\n  aeTitle: CD8NODE\n  prot: 104\n')).toEqual([
      { severity: 'error', path: 'node.yaml:3: dicom.prot', message: 'unknown key "prot". Did you mean "port"?' },
    ]);
  });

  it('rejects a port out of range', () => {
    expect(errorsOf('dicom:\n  port: 70000\n')).toEqual([
      { severity: 'error', path: 'node.yaml:2: dicom.port', message: '70000 is out of range (0–65535).' },
    ]);
  });

  it('rejects a TLS listener on the plain port, a subject pinned twice, and a pin that is not "AET: SUBJECT"', () => {
    const messages = errorsOf('dicom:\n  port: 11112\n  tls:\n    port: 11112\n    enabled: true\n    requireClientCertificate: false\n    certFile: /x.pem\n    keyFile: /x.key\n    pinnedSubjects: ["PACS: CN=a", "PACS: CN=b", "CN=c"]\n').map((i) => `${i.path}: ${i.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/dicom\.tls\.port: is dicom\.port \(11112\); the TLS listener needs its own port/));
    expect(messages).toContainEqual(expect.stringMatching(/dicom\.tls\.pinnedSubjects\[1\]: pins "PACS" again/));
    expect(messages).toContainEqual(expect.stringMatching(/pinnedSubjects\[2\]: "CN=c" is not "AET: SUBJECT"/));
  });

  it('rejects two destinations with the same AE title', () => {
    const text = [
      'destinations:',
      '  dicom:',
      '    - { name: pacs, aeTitle: PACS, host: 10.0.0.5, port: 104 }',
      '    - { name: archive, aeTitle: PACS, host: 10.0.0.6, port: 104 }',
    ].join('\n');
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe('node.yaml:4: destinations.dicom[1].aeTitle');
    expect(errors[0].message).toMatch(/duplicate AE title "PACS" \(already used by destinations\.dicom\[0\] "pacs"\)/);
  });

  it('rejects a destination name used twice, naming both entries, DICOM and HL7 alike', () => {
    const text = [
      'destinations:',
      '  dicom:',
      '    - { name: pacs, aeTitle: PACS, host: 10.0.0.5, port: 104 }',
      '  hl7:',
      '    - { name: pacs, host: 10.0.0.7, port: 2575 }',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      {
        severity: 'error',
        path: 'node.yaml:5: destinations.hl7[0].name',
        message: 'destination name "pacs" is also the name of destinations.dicom[0]; give each destination its own name.',
      },
    ]);
  });

  it('leaves an invalid list entry out instead of putting the default in its place', () => {
    const loaded = parseConfigText('dicom:\n  allowedCallers: [PACS, "NOT A VALID AE TITLE"]\n', 'node.yaml', {});
    expect(loaded.issues).toEqual([
      expect.objectContaining({ severity: 'error', path: 'node.yaml:2: dicom.allowedCallers[1]', message: expect.stringContaining('an AE title has at most 16') }),
    ]);
    // Before: the bad entry became "*", and a warning said any caller would be accepted.
    expect(loaded.issues.some((i) => i.message.includes('"*"'))).toBe(false);
  });

  it('rejects the same calling AE title listed twice', () => {
    const errors = errorsOf('dicom:\n  allowedCallers: [PACS, MODALITY, pacs]\n');
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('duplicate AE title "pacs"')]);
  });

  it('reports every problem of a file in one pass, not just the first', () => {
    const text = 'dicom:\n  prot: 1\n  port: -1\n  aeTitle: THIS_TITLE_IS_FAR_TOO_LONG\nlog:\n  level: verbose\n';
    const messages = errorsOf(text).map((e) => `${e.path} ${e.message}`);
    expect(messages).toEqual([
      expect.stringContaining('dicom.prot unknown key'),
      expect.stringContaining('dicom.aeTitle "THIS_TITLE_IS_FAR_TOO_LONG" has 26 characters; an AE title has at most 16.'),
      expect.stringContaining('dicom.port -1 is out of range'),
      expect.stringContaining('log.level "verbose" is not allowed; use one of: error, warn, info, debug.'),
    ]);
  });

  it('treats wrong types as errors instead of coercing them', () => {
    expect(errorsOf('dicom:\n  port: "104"\nstorage:\n  fsync: "yes"\n').map((e) => e.message)).toEqual([
      'expected an integer, found "104".',
      'expected true or false, found "yes".',
    ]);
  });

  it('reports a key given twice in one section', () => {
    expect(errorsOf('dicom:\n  port: 104\n  port: 105\n')[0].message).toMatch(/same key appears twice/);
  });

  it('names the line of a YAML syntax error and the line of a repeated key, once each', () => {
    expect(errorsOf('dicom:\n  port: 104\n  port: 105\n')).toEqual([
      { severity: 'error', path: 'node.yaml:3', message: 'the same key appears twice in one section; keep one of them.' },
    ]);
    expect(errorsOf('log:\n  level: info\nkey: : :\n  - x\n')).toEqual([
      { severity: 'error', path: 'node.yaml:3', message: 'not valid YAML/JSON: Nested mappings are not allowed in compact mappings' },
    ]);
  });

  it('rejects invalid regular expressions and cron expressions with what to write instead', () => {
    const errors = errorsOf('lesions:\n  includeNames: ["gtv("]\nschedules:\n  retention: "61 * * * *"\n');
    expect(errors[0].message).toMatch(/is not a valid regular expression/);
    expect(errors[1].message).toMatch(/not a valid cron expression; use five fields/);
  });

  it('requires the address of each destination', () => {
    const errors = errorsOf('destinations:\n  dicom:\n    - name: pacs\n      aeTitle: PACS\n');
    expect(errors.map((e) => e.path)).toEqual(['node.yaml:3: destinations.dicom[0].host', 'node.yaml:3: destinations.dicom[0].port']);
  });

  it('says so when the file is missing', () => {
    const loaded = loadConfig('/nonexistent/cd8.yaml', {});
    expect(loaded.config).toBeUndefined();
    expect(loaded.issues[0].message).toMatch(/does not exist/);
  });

  describe('environment overrides', () => {
    it('override single values on top of the file', () => {
      const env = {
        CD8_AE_TITLE: 'RADIOMICS',
        CD8_PORT: '4242',
        CD8_BIND: '127.0.0.1',
        CD8_DATA_DIR: '/var/lib/cd8',
        CD8_ALLOWED_CALLERS: 'PACS@10.0.0.5, MODALITY',
        CD8_STABLE_AGE_S: '5',
        CD8_SR_DESTINATION: 'PACS@10.0.0.5:104,ARCHIVE@[::1]:11112',
        CD8_HL7_DESTINATION: 'ris.example.org:2575',
        CD8_HTTP_PORT: '0',
        CD8_LOG_LEVEL: 'debug',
      };
      const loaded = parseConfigText('dicom:\n  port: 104\n', 'node.yaml', env);
      expect(loaded.issues).toEqual([]);
      const c = loaded.config!;
      expect(c.dicom).toMatchObject({ aeTitle: 'RADIOMICS', port: 4242, bind: '127.0.0.1', allowedCallers: ['PACS@10.0.0.5', 'MODALITY'] });
      expect(c.storage.dataDir).toBe('/var/lib/cd8');
      expect(c.study.stableAgeS).toBe(5);
      expect(c.destinations.dicom).toEqual([
        expect.objectContaining({ name: 'sr-1', aeTitle: 'PACS', host: '10.0.0.5', port: 104 }),
        expect.objectContaining({ name: 'sr-2', aeTitle: 'ARCHIVE', host: '::1', port: 11112 }),
      ]);
      expect(c.destinations.hl7).toEqual([expect.objectContaining({ name: 'hl7-1', host: 'ris.example.org', port: 2575 })]);
      expect(c.http.port).toBe(0);
      expect(c.log.level).toBe('debug');
      expect(loaded.sources.env).toHaveLength(10);
    });

    it('name the variable when its value is wrong', () => {
      const loaded = validateRaw({}, { CD8_PORT: 'eleven', CD8_SR_DESTINATION: 'PACS-10.0.0.5' }, null);
      expect(loaded.config).toBeUndefined();
      expect(loaded.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`)).toEqual([
        expect.stringMatching(/^env CD8_SR_DESTINATION: "PACS-10.0.0.5" is not an AE address; write AET@HOST:PORT/),
        'env CD8_PORT (dicom.port): expected an integer, found "eleven".',
      ]);
    });
  });
});

describe('README configuration reference', () => {
  it('is the table generated from the schema (run `npm run docs` after changing the schema)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`<!-- config-reference:start -->\n${configReferenceMarkdown()}\n<!-- config-reference:end -->`);
  });
});
