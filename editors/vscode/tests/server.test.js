// The extension's decisions without an editor: which binary serves the language, what the user is
// told when there is none, and which setting changes restart the server.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {
  resolveServerPath,
  notFoundMessage,
  startFailedMessage,
  requiresRestart,
} = require('../server');

/** A fresh directory holding `files` (name -> executable?), removed after the test. */
function scratch(t, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-vscode-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, executable] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n');
    fs.chmodSync(file, executable ? 0o755 : 0o644);
  }
  return dir;
}

const posix = process.platform !== 'win32';

test('a bare name is found in the directories of PATH, in order', (t) => {
  const first = scratch(t, { cordon: true });
  const second = scratch(t, { cordon: true });
  const empty = scratch(t, {});
  const env = { PATH: [empty, first, second].join(path.delimiter) };
  assert.deepEqual(resolveServerPath('cordon', { env }), {
    found: true,
    command: path.join(first, 'cordon'),
  });
});

test('an empty or missing setting means `cordon`', (t) => {
  const dir = scratch(t, { cordon: true });
  const env = { PATH: dir };
  for (const configured of ['', '   ', undefined, null]) {
    assert.equal(resolveServerPath(configured, { env }).command, path.join(dir, 'cordon'));
  }
});

test('a name not on PATH is not found, and the message says how to fix it', (t) => {
  const dir = scratch(t, { other: true });
  const resolved = resolveServerPath('cordon', { env: { PATH: dir } });
  assert.equal(resolved.found, false);
  assert.equal(resolved.reason, '`cordon` was not found on PATH');
  const message = notFoundMessage(resolved);
  assert.match(message, /`cordon` was not found on PATH/);
  assert.match(message, /cargo install --path \./);
  assert.match(message, /cordon\.server\.path/);
});

test('an empty PATH is named as the reason', () => {
  const resolved = resolveServerPath('cordon', { env: { PATH: '' } });
  assert.equal(resolved.found, false);
  assert.equal(resolved.reason, '`cordon` was not found: PATH is empty');
});

test('a file on PATH that is not executable is passed over', { skip: !posix }, (t) => {
  const plain = scratch(t, { cordon: false });
  const runnable = scratch(t, { cordon: true });
  assert.equal(
    resolveServerPath('cordon', { env: { PATH: plain } }).found,
    false,
  );
  assert.equal(
    resolveServerPath('cordon', { env: { PATH: [plain, runnable].join(path.delimiter) } }).command,
    path.join(runnable, 'cordon'),
  );
});

test('a directory named like the binary is not the binary', (t) => {
  const dir = scratch(t, { 'cordon/inside': true });
  assert.equal(resolveServerPath('cordon', { env: { PATH: dir } }).found, false);
});

test('an absolute path is that file, whatever PATH holds', (t) => {
  const dir = scratch(t, { 'bin/cordon-dev': true });
  const file = path.join(dir, 'bin', 'cordon-dev');
  assert.deepEqual(resolveServerPath(file, { env: { PATH: '' } }), { found: true, command: file });
  const missing = path.join(dir, 'bin', 'nothing');
  const resolved = resolveServerPath(missing, { env: { PATH: '' } });
  assert.equal(resolved.found, false);
  assert.equal(resolved.reason, `\`${missing}\` does not exist`);
});

test('an absolute path to a file that cannot run says so', { skip: !posix }, (t) => {
  const dir = scratch(t, { cordon: false });
  const file = path.join(dir, 'cordon');
  const resolved = resolveServerPath(file, { env: { PATH: '' } });
  assert.equal(resolved.found, false);
  assert.equal(resolved.reason, `\`${file}\` is not an executable file`);
});

test('a relative path is relative to the workspace folder', (t) => {
  const dir = scratch(t, { 'target/release/cordon': true });
  assert.deepEqual(resolveServerPath('./target/release/cordon', { env: {}, cwd: dir }), {
    found: true,
    command: path.join(dir, 'target', 'release', 'cordon'),
  });
  const alone = resolveServerPath('./target/release/cordon', { env: {} });
  assert.equal(alone.found, false);
  assert.match(alone.reason, /relative path and there is no workspace folder/);
});

test('`~` is the home directory', (t) => {
  const home = scratch(t, { '.cargo/bin/cordon': true });
  assert.deepEqual(resolveServerPath('~/.cargo/bin/cordon', { env: {}, home }), {
    found: true,
    command: path.join(home, '.cargo', 'bin', 'cordon'),
  });
});

test('on Windows, PATH is split at `;` and PATHEXT completes the name', () => {
  const files = new Set(['D:\\tools\\cordon.EXE', 'E:\\later\\cordon.exe']);
  const options = {
    env: { Path: 'C:\\bin;D:\\tools;E:\\later', PATHEXT: '.COM;.EXE' },
    platform: 'win32',
    isExecutable: (file) => files.has(file),
  };
  assert.deepEqual(resolveServerPath('cordon', options), {
    found: true,
    command: 'D:\\tools\\cordon.EXE',
  });
  assert.deepEqual(resolveServerPath('C:\\Users\\me\\cordon', { ...options, exists: () => false }), {
    found: false,
    command: 'C:\\Users\\me\\cordon',
    reason: '`C:\\Users\\me\\cordon` does not exist',
  });
});

test('a failed start names the command and the error', () => {
  const message = startFailedMessage('/opt/cordon', new Error('spawn EACCES'));
  assert.match(message, /`\/opt\/cordon lsp` did not start: spawn EACCES/);
  assert.match(message, /cordon\.server\.path/);
});

/** A configuration change event that affects exactly these sections and their parents. */
function change(...sections) {
  return {
    affectsConfiguration: (section) =>
      sections.some((changed) => changed === section || changed.startsWith(`${section}.`)),
  };
}

test('changing the server path requires a restart', () => {
  assert.equal(requiresRestart(change('cordon.server.path')), true);
});

test('changing the trace or another extension does not', () => {
  assert.equal(requiresRestart(change('cordon.trace.server')), false);
  assert.equal(requiresRestart(change('editor.fontSize')), false);
  assert.equal(requiresRestart(change()), false);
});
