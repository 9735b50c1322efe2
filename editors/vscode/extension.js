// The Cordon extension: starts `cordon lsp` for `.cordon` files (saved or untitled), restarts it
// when `cordon.server.path` changes or on "Cordon: Restart Server", and says what to do when
// there is no `cordon` to start. Everything else (diagnostics, hover, navigation, completion,
// formatting, code lenses) comes from the server. The decisions are in `server.js`.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');
const {
  SERVER_PATH_SETTING,
  resolveServerPath,
  notFoundMessage,
  startFailedMessage,
  requiresRestart,
} = require('./server');

const OPEN_SETTINGS = 'Open Settings';

let client;
let outputChannel;
// One watcher for the extension's life, handed to each client it starts.
let watcher;
// Starts and stops run one after the other, so a restart never races a start.
let queue = Promise.resolve();

function firstWorkspaceFolder() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 && folders[0].uri.scheme === 'file'
    ? folders[0].uri.fsPath
    : undefined;
}

async function showError(message) {
  const choice = await vscode.window.showErrorMessage(message, OPEN_SETTINGS);
  if (choice === OPEN_SETTINGS) {
    await vscode.commands.executeCommand('workbench.action.openSettings', SERVER_PATH_SETTING);
  }
}

async function stop() {
  if (!client) {
    return;
  }
  const running = client;
  client = undefined;
  try {
    await running.stop();
  } catch {
    // A server that already exited has nothing left to stop.
  }
}

async function start() {
  const configured = vscode.workspace.getConfiguration().get(SERVER_PATH_SETTING);
  const resolved = resolveServerPath(configured, { cwd: firstWorkspaceFolder() });
  if (!resolved.found) {
    outputChannel.appendLine(notFoundMessage(resolved));
    // Not awaited: the message stays up while the extension goes on.
    showError(notFoundMessage(resolved));
    return;
  }
  const serverOptions = { command: resolved.command, args: ['lsp'] };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'cordon' },
      { scheme: 'untitled', language: 'cordon' },
    ],
    outputChannel,
    traceOutputChannel: outputChannel,
    synchronize: {
      // Files changed on disk (not open in the editor) are read again by the server.
      fileEvents: watcher,
    },
  };
  // The id `cordon` makes the client follow the `cordon.trace.server` setting.
  const created = new LanguageClient('cordon', 'Cordon', serverOptions, clientOptions);
  client = created;
  try {
    await created.start();
  } catch (error) {
    if (client === created) {
      client = undefined;
    }
    showError(startFailedMessage(resolved.command, error));
  }
}

function restart() {
  queue = queue.then(stop).then(start);
  return queue;
}

function activate(context) {
  outputChannel = vscode.window.createOutputChannel('Cordon');
  context.subscriptions.push(outputChannel);
  watcher = vscode.workspace.createFileSystemWatcher('**/*.cordon');
  context.subscriptions.push(watcher);
  context.subscriptions.push(vscode.commands.registerCommand('cordon.restartServer', restart));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (requiresRestart(event)) {
        restart();
      }
    }),
  );
  context.subscriptions.push({ dispose: () => stop() });
  queue = queue.then(start);
  return queue;
}

function deactivate() {
  queue = queue.then(stop);
  return queue;
}

module.exports = { activate, deactivate };
