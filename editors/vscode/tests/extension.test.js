// The extension's life against a stand-in for VS Code and the language client (there is no real
// VS Code to run here): it starts a client for the binary found, says what to do when there is
// none (with a button to the setting), and starts a new client when the server path changes or
// on "Cordon: Restart Server".
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

/** A stand-in `vscode` module whose settings and answers the test controls. */
function fakeVscode(state) {
  return {
    workspace: {
      workspaceFolders: undefined,
      getConfiguration: () => ({ get: (section) => state.settings[section] }),
      onDidChangeConfiguration: (listener) => {
        state.configurationListeners.push(listener);
        return { dispose() {} };
      },
      createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
    },
    window: {
      createOutputChannel: () => ({ appendLine: (line) => state.output.push(line), dispose() {} }),
      showErrorMessage: async (message, ...buttons) => {
        state.errors.push({ message, buttons });
        return state.answer;
      },
    },
    commands: {
      registerCommand: (name, callback) => {
        state.commands[name] = callback;
        return { dispose() {} };
      },
      executeCommand: async (...args) => {
        state.executed.push(args);
      },
    },
  };
}

/** A stand-in language client that records what it was started with. */
function fakeClientModule(state) {
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, running: false });
      state.clients.push(this);
    }
    async start() {
      this.running = true;
    }
    async stop() {
      this.running = false;
    }
  }
  return { LanguageClient };
}

/** Loads extension.js afresh with the stand-ins in place of `vscode` and the client. */
function loadExtension(state) {
  const stubs = {
    vscode: fakeVscode(state),
    'vscode-languageclient/node': fakeClientModule(state),
  };
  const originalLoad = Module._load;
  Module._load = function load(request, ...rest) {
    return request in stubs ? stubs[request] : originalLoad.call(this, request, ...rest);
  };
  try {
    const file = require.resolve('../extension');
    delete require.cache[file];
    return require(file);
  } finally {
    Module._load = originalLoad;
  }
}

function newState(settings) {
  return {
    settings,
    configurationListeners: [],
    output: [],
    errors: [],
    commands: {},
    executed: [],
    clients: [],
    answer: undefined,
  };
}

function executable(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-vscode-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, 0o755);
  return file;
}

const posix = process.platform !== 'win32';
const context = () => ({ subscriptions: [] });

test('the binary found is started with `lsp`, for saved and untitled buffers', { skip: !posix }, async (t) => {
  const binary = executable(t, 'cordon');
  const state = newState({ 'cordon.server.path': binary });
  const extension = loadExtension(state);
  await extension.activate(context());
  assert.equal(state.clients.length, 1);
  const [client] = state.clients;
  assert.equal(client.id, 'cordon');
  assert.deepEqual(client.serverOptions, { command: binary, args: ['lsp'] });
  assert.deepEqual(client.clientOptions.documentSelector, [
    { scheme: 'file', language: 'cordon' },
    { scheme: 'untitled', language: 'cordon' },
  ]);
  assert.equal(client.running, true);
  assert.deepEqual(state.errors, []);
  await extension.deactivate();
  assert.equal(client.running, false);
});

test('no binary: an error that says what to do, and a button to the setting', async (t) => {
  const missing = path.join(os.tmpdir(), `cordon-missing-${process.pid}`, 'cordon');
  const state = newState({ 'cordon.server.path': missing });
  state.answer = 'Open Settings';
  const extension = loadExtension(state);
  await extension.activate(context());
  // The message's promise settles after activation; let it.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(state.clients.length, 0);
  assert.equal(state.errors.length, 1);
  const [{ message, buttons }] = state.errors;
  assert.match(message, /does not exist/);
  assert.match(message, /cargo install --path \./);
  assert.match(message, /cordon\.server\.path/);
  assert.deepEqual(buttons, ['Open Settings']);
  assert.deepEqual(state.executed, [['workbench.action.openSettings', 'cordon.server.path']]);
  t.after(() => extension.deactivate());
});

test('changing the server path starts the new binary; other changes do not', { skip: !posix }, async (t) => {
  const first = executable(t, 'cordon');
  const second = executable(t, 'cordon-dev');
  const state = newState({ 'cordon.server.path': first });
  const extension = loadExtension(state);
  await extension.activate(context());
  const [listener] = state.configurationListeners;
  assert.ok(listener, 'no configuration listener');

  listener({ affectsConfiguration: (section) => section === 'cordon.trace.server' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(state.clients.length, 1);

  state.settings['cordon.server.path'] = second;
  listener({ affectsConfiguration: (section) => section === 'cordon.server.path' });
  await extension.deactivate();
  assert.equal(state.clients.length, 2);
  assert.equal(state.clients[0].running, false);
  assert.equal(state.clients[1].serverOptions.command, second);
});

test('"Cordon: Restart Server" stops the client and starts a new one', { skip: !posix }, async (t) => {
  const binary = executable(t, 'cordon');
  const state = newState({ 'cordon.server.path': binary });
  const extension = loadExtension(state);
  await extension.activate(context());
  await state.commands['cordon.restartServer']();
  assert.equal(state.clients.length, 2);
  assert.equal(state.clients[0].running, false);
  assert.equal(state.clients[1].running, true);
  await extension.deactivate();
  assert.equal(state.clients[1].running, false);
});
