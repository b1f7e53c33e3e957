/**
 * The SARIF 2.1.0 log both `lint --format sarif` (cli/formats.ts) and an audit's report
 * (graph/auditSarif.ts) write: one run of manifest-lens, its rules, a result per finding.
 */
import type { Severity } from './types';

export const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

/**
 * A log of one run: `ruleOf` describes each of `ids` (in that order), `resultsOf` makes the
 * results with each rule's index; `invocations`, when given, says what could not be checked.
 */
export function sarifLog(
  version: string,
  ids: readonly string[],
  ruleOf: (id: string) => object,
  resultsOf: (ruleIndex: (id: string) => number | undefined) => object[],
  invocations?: readonly object[],
): object {
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'manifest-lens', version, informationUri: 'https://github.com/opencontainers/image-spec', rules: ids.map(ruleOf) } },
      columnKind: 'utf16CodeUnits',
      ...(invocations ? { invocations } : {}),
      results: resultsOf((id) => index.get(id)),
    }],
  };
}
