// What the extension declares to VS Code in package.json: the command, the settings with their
// scopes, the defaults for Cordon files, and when it activates. The extension's code uses these
// names, so a rename on one side only fails here.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const manifest = require('../package.json');
const { SERVER_PATH_SETTING, RESTART_SETTINGS } = require('../server');

const extensionSource = fs.readFileSync(path.join(__dirname, '..', 'extension.js'), 'utf8');
const properties = manifest.contributes.configuration.properties;

test('"Cordon: Restart Server" is declared and registered', () => {
  const command = manifest.contributes.commands.find((c) => c.command === 'cordon.restartServer');
  assert.ok(command, 'cordon.restartServer is not among contributes.commands');
  assert.equal(`${command.category}: ${command.title}`, 'Cordon: Restart Server');
  assert.match(extensionSource, /registerCommand\('cordon\.restartServer'/);
});

test('every command the extension registers is declared', () => {
  const registered = [...extensionSource.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]);
  const declared = manifest.contributes.commands.map((c) => c.command);
  assert.deepEqual(registered.sort(), declared.sort());
});

test('the server path is a machine setting defaulting to `cordon`', () => {
  const setting = properties[SERVER_PATH_SETTING];
  assert.ok(setting, `${SERVER_PATH_SETTING} is not declared`);
  assert.equal(setting.type, 'string');
  assert.equal(setting.default, 'cordon');
  // A workspace must not choose which binary runs on this machine.
  assert.equal(setting.scope, 'machine');
});

test('the trace setting offers off, messages and verbose', () => {
  const setting = properties['cordon.trace.server'];
  assert.ok(setting, 'cordon.trace.server is not declared');
  assert.deepEqual(setting.enum, ['off', 'messages', 'verbose']);
  assert.equal(setting.default, 'off');
  assert.equal(setting.enumDescriptions.length, setting.enum.length);
  // The language client follows `<id>.trace.server`; the id is `cordon`.
  assert.match(extensionSource, /new LanguageClient\('cordon',/);
});

test('every setting that requires a restart is declared', () => {
  for (const section of RESTART_SETTINGS) {
    assert.ok(properties[section], `${section} is not declared`);
  }
});

test('inlay hints in Cordon files are not cut at 43 characters', () => {
  const defaults = manifest.contributes.configurationDefaults['[cordon]'];
  assert.ok(defaults, 'no [cordon] configuration defaults');
  const length = defaults['editor.inlayHints.maximumLength'];
  // 0 means no limit.
  assert.ok(length === 0 || length >= 200, `editor.inlayHints.maximumLength is ${length}`);
});

test('the extension activates on Cordon files, workspaces holding them and its command', () => {
  const events = manifest.activationEvents;
  assert.ok(events.includes('onLanguage:cordon'), events.join(', '));
  assert.ok(events.includes('workspaceContains:**/*.cordon'), events.join(', '));
  assert.ok(events.includes('onCommand:cordon.restartServer'), events.join(', '));
});

test('the server gets saved and untitled Cordon buffers', () => {
  assert.match(extensionSource, /\{ scheme: 'file', language: 'cordon' \}/);
  assert.match(extensionSource, /\{ scheme: 'untitled', language: 'cordon' \}/);
});

test('the language the selectors name is the one declared', () => {
  assert.deepEqual(
    manifest.contributes.languages.map((language) => language.id),
    ['cordon'],
  );
});

test('package-lock.json agrees with package.json', () => {
  const lock = require('../package-lock.json');
  const root = lock.packages[''];
  assert.equal(lock.name, manifest.name);
  assert.equal(root.version, manifest.version);
  assert.deepEqual(root.dependencies || {}, manifest.dependencies || {});
  assert.deepEqual(root.devDependencies || {}, manifest.devDependencies || {});
});
