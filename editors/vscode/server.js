// What the extension decides before it talks to VS Code: which `cordon` binary serves the language,
// what to tell the user when there is none, and which configuration changes need the server
// restarted. Plain Node (no `vscode` module), so `npm test` runs it without an editor.
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');

/** The setting that names the binary, and its default. */
const SERVER_PATH_SETTING = 'cordon.server.path';
const DEFAULT_COMMAND = 'cordon';

/** Settings whose change takes effect only when the server is started again. */
const RESTART_SETTINGS = [SERVER_PATH_SETTING];

/** Whether `file` is a file this process may execute (on Windows: a file). */
function isExecutable(file, platform) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (!stat.isFile()) {
    return false;
  }
  if (platform === 'win32') {
    return true;
  }
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the binary the setting names. `configured` is the setting's value (empty or missing means
 * `cordon`); a value with a directory in it (`~/bin/cordon`, `./target/release/cordon`) is that
 * file, relative to `cwd` (the first workspace folder) when not absolute; a bare name is looked
 * up in the directories of `env.PATH` (with `env.PATHEXT` on Windows), as the process that
 * starts it would.
 *
 * Returns `{ found: true, command }` with the path to run, or `{ found: false, command, reason }`
 * where `reason` says what was looked for and where.
 */
function resolveServerPath(configured, options = {}) {
  const env = options.env || process.env;
  const platform = options.platform || process.platform;
  const cwd = options.cwd;
  const home = options.home || os.homedir();
  // Tests of another platform's rules pass their own view of the file system.
  const executable = options.isExecutable || ((file) => isExecutable(file, platform));
  const pathModule = platform === 'win32' ? path.win32 : path.posix;
  let command = typeof configured === 'string' ? configured.trim() : '';
  if (command === '') {
    command = DEFAULT_COMMAND;
  }
  if (command === '~' || command.startsWith('~/') || command.startsWith('~\\')) {
    command = pathModule.join(home, command.slice(1));
  }
  const extensions =
    platform === 'win32'
      ? ['', ...(env.PATHEXT || '.COM;.EXE;.BAT;.CMD').split(';').filter((ext) => ext !== '')]
      : [''];
  const candidates = (file) => extensions.map((ext) => file + ext);
  const hasDirectory = command.includes('/') || (platform === 'win32' && command.includes('\\'));
  if (hasDirectory) {
    let file = command;
    if (!pathModule.isAbsolute(file)) {
      if (!cwd) {
        return {
          found: false,
          command,
          reason: `\`${command}\` is a relative path and there is no workspace folder to resolve it from`,
        };
      }
      file = pathModule.resolve(cwd, file);
    }
    const match = candidates(file).find(executable);
    if (match) {
      return { found: true, command: match };
    }
    return {
      found: false,
      command,
      reason: (options.exists || fs.existsSync)(file)
        ? `\`${file}\` is not an executable file`
        : `\`${file}\` does not exist`,
    };
  }
  const pathVariable = platform === 'win32' ? env.PATH || env.Path || '' : env.PATH || '';
  const directories = pathVariable.split(pathModule.delimiter).filter((dir) => dir !== '');
  for (const directory of directories) {
    const match = candidates(pathModule.join(directory, command)).find(executable);
    if (match) {
      return { found: true, command: match };
    }
  }
  return {
    found: false,
    command,
    reason:
      directories.length === 0
        ? `\`${command}\` was not found: PATH is empty`
        : `\`${command}\` was not found on PATH`,
  };
}

/**
 * The error shown when no binary was found: what was looked for, and the two ways to fix it.
 * `resolved` is what `resolveServerPath` returned.
 */
function notFoundMessage(resolved) {
  return (
    `Cordon: cannot start the language server: ${resolved.reason}. ` +
    `Install it with \`cargo install --path .\` in the Cordon repository, ` +
    `or set \`${SERVER_PATH_SETTING}\` to the \`cordon\` binary.`
  );
}

/** The error shown when a binary was found but the client could not start it. */
function startFailedMessage(command, error) {
  const detail = error && error.message ? error.message : String(error);
  return (
    `Cordon: the language server \`${command} lsp\` did not start: ${detail}. ` +
    `Check \`${SERVER_PATH_SETTING}\`, or run \`${command} lsp\` in a terminal to see why.`
  );
}

/**
 * Whether a configuration change needs the server restarted. `event` is VS Code's
 * `ConfigurationChangeEvent` (only its `affectsConfiguration(section)` is used). The trace
 * setting is not among them: the language client follows `cordon.trace.server` itself.
 */
function requiresRestart(event) {
  return RESTART_SETTINGS.some((section) => event.affectsConfiguration(section));
}

module.exports = {
  SERVER_PATH_SETTING,
  RESTART_SETTINGS,
  resolveServerPath,
  notFoundMessage,
  startFailedMessage,
  requiresRestart,
};
