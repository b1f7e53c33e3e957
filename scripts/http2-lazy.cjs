// What undici's client-h2.js gets for `require('node:http2')` in the bundles (scripts/build.mjs):
// the constants it reads when it loads, and a connect() that loads node:http2 on first use.
// Loading node:http2 costs more than the rest of a CLI start's built-ins together, and our
// registry client never asks for HTTP/2 (undici only uses it with allowH2). The constants are
// HTTP/2's own (RFC 9113); test/cli/bundle.test.ts checks them against node:http2's.
'use strict';

module.exports = {
  constants: {
    HTTP2_HEADER_AUTHORITY: ':authority',
    HTTP2_HEADER_METHOD: ':method',
    HTTP2_HEADER_PATH: ':path',
    HTTP2_HEADER_SCHEME: ':scheme',
    HTTP2_HEADER_CONTENT_LENGTH: 'content-length',
    HTTP2_HEADER_EXPECT: 'expect',
    HTTP2_HEADER_STATUS: ':status',
    HTTP2_HEADER_PROTOCOL: ':protocol',
    NGHTTP2_REFUSED_STREAM: 7,
    NGHTTP2_CANCEL: 8,
  },
  connect(...args) {
    return require('node:http2').connect(...args);
  },
};
