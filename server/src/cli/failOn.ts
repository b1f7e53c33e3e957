/**
 * The values of --fail-on (lint, inspect --lint): the least severe finding that fails, or never.
 * Apart from lint.ts so that `inspect` parses its options without loading the engine (issue 13).
 */
export const FAIL_ON = ['error', 'warning', 'info', 'hint', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export function isFailOn(value: string | undefined): value is FailOn {
  return (FAIL_ON as readonly (string | undefined)[]).includes(value);
}

/** The value of a --fail-on option (lint, inspect --lint, tree), or the usage error it deserves. */
export function parseFailOn(value: string | undefined): { readonly failOn: FailOn } | { readonly error: string } {
  return isFailOn(value) ? { failOn: value } : { error: `--fail-on expects ${FAIL_ON.join('|')}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}` };
}
