// What the bundles (scripts/build.mjs) get for `import … from 'undici'`: only what
// server/src/registry uses — request, Agent, ProxyAgent — instead of undici's index, which also
// loads fetch, WebSocket, EventSource, the caches, mocks and interceptors. Half the bytes to
// load and run at every CLI start (issue 13). undici has no "exports" map, so these paths are
// public; the registry, CLI and LSP suites run the bundles, so a change of layout fails there.
'use strict';

const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const Agent = require('undici/lib/dispatcher/agent');
const ProxyAgent = require('undici/lib/dispatcher/proxy-agent');
const api = require('undici/lib/api');
const util = require('undici/lib/core/util');
const errors = require('undici/lib/core/errors');
const { getGlobalDispatcher, setGlobalDispatcher } = require('undici/lib/global');

// As undici's index does: dispatcher.request/connect/… (ProxyAgent tunnels with connect).
Object.assign(Dispatcher.prototype, api);

/** undici's top-level `request(url, opts)`, as its index makes it (makeDispatcher). */
function request(url, opts) {
  if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) {
    throw new errors.InvalidArgumentError('invalid url');
  }
  if (opts != null && typeof opts !== 'object') throw new errors.InvalidArgumentError('invalid opts');
  if (opts && opts.path != null) {
    if (typeof opts.path !== 'string') throw new errors.InvalidArgumentError('invalid opts.path');
    const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
    url = new URL(util.parseOrigin(url).origin + path);
  } else {
    if (!opts) opts = typeof url === 'object' ? url : {};
    url = util.parseURL(url);
  }
  const { agent, dispatcher = getGlobalDispatcher() } = opts;
  if (agent) throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  return api.request.call(dispatcher, {
    ...opts,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
    method: opts.method || (opts.body ? 'PUT' : 'GET'),
  });
}

module.exports = { Dispatcher, Agent, ProxyAgent, request, errors, getGlobalDispatcher, setGlobalDispatcher };
