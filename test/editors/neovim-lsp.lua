-- Drives Neovim's built-in LSP client against dist/server.js (test/editors/neovim.test.ts).
-- Inputs from the environment: ML_NODE, ML_SERVER, ML_FILE, ML_OUT. Writes what happened as
-- JSON to ML_OUT and quits. Works with Neovim 0.7 (Debian 12: vim.lsp.start_client) and later.
local out = { steps = {} }
local function step(name) table.insert(out.steps, name) end
local function finish()
  local f = io.open(os.getenv('ML_OUT'), 'w')
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  local file = os.getenv('ML_FILE')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'json'
  local config = {
    name = 'manifest-lens',
    cmd = { os.getenv('ML_NODE'), os.getenv('ML_SERVER'), '--stdio' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
    settings = { manifestLens = vim.empty_dict() },
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config, { bufnr = bufnr })
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  out.nvim = vim.version and tostring(vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch) or '?'
  step('started')

  local function lsp_diagnostics()
    local list = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      local lsp = d.user_data and d.user_data.lsp or {}
      table.insert(list, { code = lsp.code or d.code, source = d.source or lsp.source, message = d.message, severity = d.severity,
        lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, lsp = lsp })
    end
    return list
  end
  local function find(list, code)
    for _, d in ipairs(list) do if d.code == code then return d end end
  end

  -- 1. The diagnostic on the seed case.
  vim.wait(15000, function() return find(lsp_diagnostics(), 'mixed-config-media-type') ~= nil end, 50)
  out.diagnostics = lsp_diagnostics()
  step('diagnostics')
  local client = vim.lsp.get_client_by_id(client_id)
  out.server_name = client and client.server_capabilities and 'attached' or 'missing'

  -- 2. The hover on the config mediaType (line 4, character 30, 0-based).
  local hover = client.request_sync('textDocument/hover', { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = 4, character = 30 } }, 10000, bufnr)
  out.hover = hover and hover.result and hover.result.contents or vim.NIL
  step('hover')

  -- 3. Error tolerance: a trailing comma after the last layer; the error stays.
  local mixed = find(out.diagnostics, 'mixed-config-media-type')
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local closing
  for i = #lines, 1, -1 do if lines[i]:match('^%s*}%s*$') and i < #lines - 1 then closing = i; break end end
  vim.api.nvim_buf_set_lines(bufnr, closing - 1, closing, false, { lines[closing] .. ',' })
  vim.wait(1500, function() return false end, 50)
  out.broken_diagnostics = lsp_diagnostics()
  vim.api.nvim_buf_set_lines(bufnr, closing - 1, closing, false, { lines[closing] })
  vim.wait(1500, function() return false end, 50)
  step('tolerance')

  -- 4. The quick-fix, asked for the diagnostic and applied as Neovim applies code actions.
  -- As Neovim's own code_action() does: the diagnostic back in LSP form (0.7 keeps only
  -- code, codeDescription and data of the original in user_data.lsp).
  mixed = find(lsp_diagnostics(), 'mixed-config-media-type')
  local range = { start = { line = mixed.lnum, character = mixed.col }, ['end'] = { line = mixed.end_lnum, character = mixed.end_col } }
  local lsp_diag = vim.tbl_extend('force', mixed.lsp, { range = range, severity = mixed.severity, message = mixed.message, source = mixed.source, code = mixed.code })
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = { lsp_diag } },
  }
  local actions = client.request_sync('textDocument/codeAction', params, 10000, bufnr)
  out.actions = {}
  local chosen
  for _, a in ipairs(actions and actions.result or {}) do
    table.insert(out.actions, a.title)
    if not chosen and a.title:find('Set config mediaType to application/vnd.oci.image.config.v1+json', 1, true) then chosen = a end
  end
  if chosen then
    vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or 'utf-16')
    vim.cmd('write')
    step('applied')
    vim.wait(15000, function() return find(lsp_diagnostics(), 'mixed-config-media-type') == nil end, 50)
    out.after_fix = lsp_diagnostics()
  end
  out.text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
end)
if not ok then out.error = tostring(err) end
finish()
