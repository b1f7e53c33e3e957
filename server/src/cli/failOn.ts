/**
 * The values of --fail-on (lint, inspect --lint): the least severe finding that fails, or never.
 * Apart from lint.ts so that `inspect` parses its options without loading the engine (issue 13).
 */
export const FAIL_ON = ['error', 'warning', 'info', 'hint', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export function isFailOn(value: string | undefined): value is FailOn {
  return (FAIL_ON as readonly (string | undefined)[]).includes(value);
}
