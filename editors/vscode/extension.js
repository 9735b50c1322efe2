// The Cordon extension: starts `cordon lsp` for `.cordon` files. Everything else (diagnostics,
// hover, navigation, completion, formatting, code lenses) comes from the server.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('cordon').get('server.path') || 'cordon';
  const serverOptions = { command, args: ['lsp'] };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'cordon' }],
    synchronize: {
      // Files changed on disk (not open in the editor) are read again by the server.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.cordon'),
    },
  };
  client = new LanguageClient('cordon', 'Cordon', serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
