#!/usr/bin/env node
'use strict';
/**
 * Regenerates what is derived from the config schema: config/default.yaml and the configuration
 * reference table in README.md (between the config-reference markers). Run after `npm run build`.
 * A unit test fails when either is stale.
 */
const { writeFileSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { defaultConfigYaml, configReferenceMarkdown } = require('../dist/config/document');

const root = join(__dirname, '..');
writeFileSync(join(root, 'config', 'default.yaml'), defaultConfigYaml());
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const start = '<!-- config-reference:start -->';
const end = '<!-- config-reference:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md lacks the config-reference markers');
writeFileSync(readmePath, readme.slice(0, a + start.length) + '\n' + configReferenceMarkdown() + '\n' + readme.slice(b));
