-- End-to-end test of `cordon lsp` driven by a real editor: headless Neovim opens a policy file,
-- hovers, goes to a definition, completes, renames, breaks the file and receives the diagnostic,
-- applies an edit and receives the new (empty) diagnostics, sees a version directory created on
-- disk during the session (through the file watcher the server registers), and shuts the server
-- down cleanly.
--
-- Run: CORDON_BIN=target/debug/cordon CORDON_POLICY=/tmp/copy-of-policies-ear \
--        nvim --headless -u NONE -l lsp/tests/nvim/e2e.lua
-- Exits 0 when every step passes, 1 (with the failing step on stderr) otherwise.

local TIMEOUT = 20000
local bin = assert(os.getenv('CORDON_BIN'), 'CORDON_BIN is not set')
local policy = assert(os.getenv('CORDON_POLICY'), 'CORDON_POLICY is not set')
local file = policy .. '/2025-01-13/classification.cordon'

local passed = 0
local function fail(step, message)
  io.stderr:write(('FAILED %s: %s\n'):format(step, message))
  os.exit(1)
end
local function check(step, condition, message)
  if not condition then
    fail(step, message or 'condition is false')
  end
  passed = passed + 1
  io.stdout:write(('ok %s\n'):format(step))
end

vim.cmd.edit(file)
local buffer = vim.api.nvim_get_current_buf()
local exit_code
local client_id = vim.lsp.start({
  name = 'cordon',
  cmd = { bin, 'lsp' },
  root_dir = policy,
  -- Neovim advertises watched files only on macOS and Windows; the server registers its watchers
  -- when the client says it can.
  capabilities = { workspace = { didChangeWatchedFiles = { dynamicRegistration = true } } },
  on_exit = function(code)
    exit_code = code
  end,
})
check('start', client_id ~= nil, 'the client did not start')
local client = vim.lsp.get_client_by_id(client_id)
check('initialize', vim.wait(TIMEOUT, function()
  return client.initialized
end, 20), 'the server did not initialize')

-- The (0-based) position of the first occurrence of `needle` on a line matching `line_pattern`.
local function find(needle, line_pattern, after)
  local lines = vim.api.nvim_buf_get_lines(buffer, 0, -1, false)
  for index, line in ipairs(lines) do
    if line:find(line_pattern or needle, 1, true) then
      local column = line:find(needle, 1, true)
      return { line = index - 1, character = column - 1 + (after and #needle or 0) }
    end
  end
  fail('find', 'no line has ' .. needle)
end

local function request(method, position, extra)
  local params = vim.tbl_extend('force', {
    textDocument = { uri = vim.uri_from_bufnr(buffer) },
    position = position,
  }, extra or {})
  local response, err = client:request_sync(method, params, TIMEOUT, buffer)
  if not response then
    fail(method, 'no answer: ' .. tostring(err))
  end
  if response.err then
    fail(method, vim.inspect(response.err))
  end
  return response.result
end

-- Hover on a use of a constant: its type, its value and its citation.
local hover = request('textDocument/hover', find('weights_training_ops', '>= weights_training_ops'))
local text = hover and hover.contents and hover.contents.value or ''
check('hover', text:find('constant `weights_training_ops`', 1, true)
  and text:find('value: `1e26 op`', 1, true)
  and text:find('ECCN 4E091', 1, true), text)

-- Hover on a reading counsel has not confirmed: the marker shows beside its citation.
local share = request('textDocument/hover',
  find('derived_additional_share', 'derived_additional_share * item.base_training_ops'))
local share_text = share and share.contents and share.contents.value or ''
check('hover confidence', share_text:find('constant `derived_additional_share`', 1, true)
  and share_text:find('(unconfirmed)', 1, true), share_text)

-- Go to definition: the `const` line of the same file.
local definition = request('textDocument/definition', find('weights_training_ops', '>= weights_training_ops'))
local location = definition[1] or definition
local declared = find('weights_training_ops', 'const weights_training_ops')
check('definition', location.range and location.range.start.line == declared.line,
  vim.inspect(definition))

-- Completion after `item.`: the fields of the item.
local completion = request('textDocument/completion', find('item.', 'and item.training_ops', true))
local items = completion.items or completion
local labels = {}
for _, item in ipairs(items) do
  labels[item.label] = true
end
check('completion', labels.training_ops and labels.tpp, vim.inspect(vim.tbl_keys(labels)))

-- Rename the constant everywhere, apply the edit, and see it in the buffer.
local rename = request('textDocument/rename', declared, { newName = 'weights_training_operations' })
vim.lsp.util.apply_workspace_edit(rename, client.offset_encoding)
local renamed = table.concat(vim.api.nvim_buf_get_lines(buffer, 0, -1, false), '\n')
check('rename', select(2, renamed:gsub('weights_training_operations', '')) >= 3
  and not renamed:find('weights_training_ops[^e]'), renamed:sub(1, 200))

-- Break a name: the server reports E0101 for it.
local broken = find('weights_training_operations', '>= weights_training_operations')
vim.api.nvim_buf_set_text(buffer, broken.line, broken.character, broken.line,
  broken.character + #'weights_training_operations', { 'weights_training_operationz' })
local function codes()
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
    found[#found + 1] = tostring(diagnostic.code)
  end
  return found
end
check('diagnostics', vim.wait(TIMEOUT, function()
  return vim.tbl_contains(codes(), 'E0101')
end, 20), vim.inspect(codes()))

-- Apply the fix the server offers, and receive the new, empty, diagnostics.
local range = { start = broken, ['end'] = { line = broken.line, character = broken.character + 5 } }
local actions = request('textDocument/codeAction', nil, {
  range = range,
  context = { diagnostics = {} },
})
local fix
for _, action in ipairs(actions) do
  if action.title:find('weights_training_operations', 1, true) then
    fix = action
  end
end
check('code action', fix ~= nil, vim.inspect(actions))
vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
check('fixed diagnostics', vim.wait(TIMEOUT, function()
  return #codes() == 0
end, 20), vim.inspect(codes()))

-- A new version directory written on disk (another program, not the editor): the server hears of
-- it through the file watcher it registered and pushes the diagnostics of its unopened file.
local watching = vim.wait(TIMEOUT, function()
  return vim.tbl_get(client, 'dynamic_capabilities', 'capabilities', 'workspace/didChangeWatchedFiles') ~= nil
end, 20)
check('watch registered', watching, vim.inspect(client.dynamic_capabilities))
local new_version = policy .. '/2027-03-01'
vim.fn.mkdir(new_version, 'p')
local function write(path, lines)
  local handle = assert(io.open(path, 'w'))
  handle:write(table.concat(lines, '\n') .. '\n')
  handle:close()
end
write(new_version .. '/version.cordon', {
  'version "2027-03-01"',
  '  policy "ear"',
  '  title "3A090.a threshold raised"',
  '  source "92 FR 1"',
  '  amends "2026-01-15"',
  '  in_force from 2027-03-01',
})
-- A misspelt name: the new version has a diagnostic to push.
local new_file = new_version .. '/classification.cordon'
write(new_file, {
  'replace const tpp_aa = 5000 TPP',
  '  cite "15 CFR 774, Supp. 1, ECCN 3A090.a, as amended by 92 FR 1"',
})
local new_buffer = vim.uri_to_bufnr(vim.uri_from_fname(new_file))
local function new_codes()
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(new_buffer)) do
    found[#found + 1] = tostring(diagnostic.code) .. ' ' .. diagnostic.message
  end
  return found
end
check('new version', vim.wait(TIMEOUT, function()
  return #new_codes() > 0
end, 20), vim.inspect(new_codes()))
io.stdout:write(('  %s\n'):format(table.concat(new_codes(), '\n  ')))

-- Shut down: the server exits by itself with status 0.
client:stop()
check('shutdown', vim.wait(TIMEOUT, function()
  return exit_code ~= nil
end, 20), 'the server did not exit')
check('exit status', exit_code == 0, 'exit status ' .. tostring(exit_code))

io.stdout:write(('%d passed, 0 failed\n'):format(passed))
os.exit(0)
