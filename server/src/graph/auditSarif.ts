/**
 * An audit's report as SARIF 2.1.0 (`audit --format sarif`, and Export SARIF… in the editor: the
 * same function, so the two files are the same): each finding located at
 * `oci://REGISTRY/REPO@DIGEST` of its document, the tags in its properties.
 */
import { FILE_PROBLEMS } from '../engine/fileProblems';
import { RULES_BY_ID } from '../engine/ruleTable';
import { SARIF_LEVEL, sarifLog } from '../engine/sarif';
import type { AuditReport } from './audit';
import { AUDIT_CHECKS, GRAPH_CHECKS } from './checks';

/** The report as SARIF 2.1.0: each finding located at `oci://REGISTRY/REPO@DIGEST` of its document, the tags in its properties. */
export function sarifOfAudit(report: AuditReport, version: string): object {
  const ids = [...new Set(report.findings.map((f) => f.ruleId))].sort();
  const ruleOf = (id: string): object => {
    const rule = RULES_BY_ID.get(id);
    const check = GRAPH_CHECKS[id] ?? (AUDIT_CHECKS as Record<string, typeof GRAPH_CHECKS[string] | undefined>)[id];
    if (rule) {
      return {
        id,
        shortDescription: { text: rule.description },
        fullDescription: { text: rule.why },
        ...(rule.specUrl ? { helpUri: rule.specUrl } : {}),
        help: { text: `${rule.why}\nSource: ${rule.source}` },
        defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
      };
    }
    if (check) return { id, shortDescription: { text: check.description }, fullDescription: { text: check.why }, help: { text: `${check.why}\nSource: ${check.source}` }, defaultConfiguration: { level: SARIF_LEVEL[check.severity] } };
    return { id, shortDescription: { text: FILE_PROBLEMS[id] ?? id }, defaultConfiguration: { level: 'error' } };
  };
  // What could not be checked is said, not left out: a repository whose tag list failed, or a
  // tag that did not resolve, has no results, so a code-scanning view would read it as clean.
  return sarifLog(version, ids, ruleOf, (ruleIndex) => report.findings.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: ruleIndex(f.ruleId),
    level: SARIF_LEVEL[f.severity],
    message: { text: `${f.message} (${f.repository}:${f.tags.join(', ') || f.digest}${f.path ? ` › ${f.path}` : ''})` },
    locations: [{
      physicalLocation: {
        artifactLocation: { uri: `oci://${report.registry}/${f.repository}@${f.document}` },
        ...(f.line !== undefined ? { region: { startLine: f.line, startColumn: f.column ?? 1 } } : {}),
      },
    }],
    partialFingerprints: { 'manifestLens/v1': `${f.repository}@${f.document}:${f.ruleId}:${f.path}:${f.line ?? 0}:${f.column ?? 0}` },
    properties: { repository: f.repository, tags: f.tags, digest: f.digest, document: f.document, path: f.path, ...(f.platform ? { platform: f.platform } : {}), severity: f.severity },
  })), [invocationOf(report)]);
}

/** The run's invocation: executionSuccessful false, and one notification each, when a repository or a tag could not be audited. */
function invocationOf(report: AuditReport): object {
  const notifications: object[] = [];
  for (const r of report.repositories) {
    if (r.error !== undefined) {
      notifications.push({ level: 'error', message: { text: `${report.registry}/${r.repository}: the repository could not be audited: ${r.error}` }, properties: { repository: r.repository } });
    }
    for (const t of r.tags) {
      if (t.error !== undefined) notifications.push({ level: 'error', message: { text: `${report.registry}/${r.repository}:${t.tag}: not resolved: ${t.error}` }, properties: { repository: r.repository, tag: t.tag } });
    }
  }
  return { executionSuccessful: notifications.length === 0, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) };
}
