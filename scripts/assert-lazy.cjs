// What undici's modules get for `require('node:assert')` in the bundles (scripts/build.mjs): they
// only call `assert(value)` on their own invariants, and loading node:assert (with its
// AssertionError, diff and comparison code) is a measurable part of a registry command's cold
// start (issue 13). The same check; node:assert and its AssertionError only when one fails.
'use strict';

function assert(value, message) {
  if (!value) {
    const { AssertionError } = require('node:assert');
    if (message instanceof Error) throw message;
    throw new AssertionError({ message, actual: value, expected: true, operator: '==', stackStartFn: assert });
  }
}
assert.ok = assert;

module.exports = assert;
