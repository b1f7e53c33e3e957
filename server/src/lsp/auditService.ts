/**
 * Audit Registry… in the editor (issue 21): the same audit as `manifest-lens audit` (graph/audit.ts)
 * run in the server on its registry client (its pool, its rate gate, its credentials), its
 * progress reported as LSP work-done progress on the request's `workDoneToken` (repositories done
 * of the total), cancelled with the request. The answer carries each finding as a diagnostic on
 * the `oci-image:` URI of the fetched document it is in (the raw form: the audit's lines and
 * columns are of the served bytes, which the pretty form may move; the first line when a finding
 * has no place), and the SARIF that `audit --format sarif` writes for the same report.
 */
import type { AuditDiagnostic, AuditParams, AuditResult } from '../../../common/protocol';
import { auditRegistry, auditReport, type AuditFinding } from '../graph/audit';
import { sarifOfAudit } from '../graph/auditSarif';
import { parseReference, type RegistryClient } from '../registry';
import { messageText } from '../../../common/messageText';
import { toResponseError } from './remote';
import { remoteUri } from './remoteUri';
import { ruleDocUrl } from './ruleDocs';
import { WorkDoneProgress, type ProgressToken, type ProgressType, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageserver';

declare const MANIFEST_LENS_VERSION: string | undefined;
const VERSION = typeof MANIFEST_LENS_VERSION === 'string' ? MANIFEST_LENS_VERSION : 'dev';

/** What the progress says, as often as a repository is done. */
export type AuditProgressReport = (p: { done: number; total: number; findings: number }) => void;

/** REGISTRY[/PREFIX] as `audit` reads it: the registry, and the repositories' prefix. */
function target(p: AuditParams): { registry: string; prefix?: string } {
  const text = p.registry.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = text.indexOf('/');
  const registry = slash < 0 ? text : text.slice(0, slash);
  const prefix = (p.prefix ?? (slash < 0 ? '' : text.slice(slash + 1))).replace(/^\/+|\/+$/g, '');
  return { registry, ...(prefix ? { prefix } : {}) };
}

/** The diagnostic of one finding: on the raw fetched document it is in, at its place. */
export function auditDiagnostic(registry: string, f: AuditFinding): AuditDiagnostic {
  const uri = remoteUri({ registry, repository: f.repository, ref: f.document, kind: 'manifest', raw: true, ...(f.platform ? { label: f.platform } : {}) });
  const line = Math.max(0, (f.line ?? 1) - 1);
  const character = Math.max(0, (f.column ?? 1) - 1);
  const where = [`${f.repository}:${f.tags.join(', ') || f.digest}`, f.path].filter(Boolean).join(' › ');
  return {
    uri,
    range: { start: { line, character }, end: { line, character } },
    severity: f.severity,
    code: f.ruleId,
    href: ruleDocUrl(f.ruleId),
    message: messageText(`${f.message} (${where})`),
    repository: f.repository,
    tags: f.tags,
    digest: f.digest,
  };
}

export async function auditInEditor(client: RegistryClient, p: AuditParams, signal: AbortSignal, progress?: AuditProgressReport): Promise<AuditResult> {
  const t = target(p);
  let ref;
  try {
    ref = parseReference(`${t.registry}/${t.prefix || 'x'}`);
  } catch (e) {
    throw toResponseError(e);
  }
  const started = performance.now();
  const requestsBefore = client.stats.requests;
  const refusedBefore = client.stats.refused;
  let run;
  try {
    run = await auditRegistry(client, {
      registry: ref,
      prefix: t.prefix,
      ...(p.concurrency ? { concurrency: p.concurrency } : {}),
      signal,
      onProgress: (x) => progress?.({ done: x.repositoriesDone, total: x.repositoriesTotal, findings: x.findings }),
    });
  } catch (e) {
    throw toResponseError(e);
  }
  const report = auditReport({ registry: ref.registry, prefix: t.prefix }, run.repositories, {
    requests: client.stats.requests - requestsBefore,
    notSent: client.stats.refused - refusedBefore,
    bytes: run.bytes,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    resumed: 0,
    ...(run.rateLimit ? { rateLimit: run.rateLimit } : {}),
    rateWaits: run.rateWaits,
    rateWaitSeconds: run.rateWaitSeconds,
    ...(run.notes.length ? { notes: run.notes } : {}),
  });
  return {
    registry: report.registry,
    ...(report.prefix ? { prefix: report.prefix } : {}),
    totals: report.totals,
    failedRepositories: report.repositories.flatMap((r) => (r.error !== undefined ? [{ repository: r.repository, error: messageText(r.error) }] : [])),
    diagnostics: report.findings.map((f) => auditDiagnostic(report.registry, f)),
    sarif: JSON.stringify(sarifOfAudit(report, VERSION), null, 2) + '\n',
    requests: report.run.requests,
    seconds: report.run.seconds,
    ...(run.rateLimit ? { rateLimit: run.rateLimit } : {}),
  };
}

/** The connection's one method this needs. */
export interface ProgressSender {
  sendProgress<P>(type: ProgressType<P>, token: ProgressToken, value: P): Promise<void>;
}

/** auditInEditor with its progress sent as work-done progress on `p.workDoneToken` (when the client gave one). */
export async function auditWithProgress(connection: ProgressSender, client: RegistryClient, p: AuditParams, signal: AbortSignal): Promise<AuditResult> {
  const token = typeof p.workDoneToken === 'string' || typeof p.workDoneToken === 'number' ? p.workDoneToken : undefined;
  const send = (v: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void => {
    if (token !== undefined) void connection.sendProgress(WorkDoneProgress.type, token, v).catch(() => undefined);
  };
  const concurrency = typeof p.concurrency === 'number' && Number.isInteger(p.concurrency) ? Math.min(64, Math.max(1, p.concurrency)) : undefined;
  send({ kind: 'begin', title: `Auditing ${p.registry}`, cancellable: true, message: 'listing repositories', percentage: 0 });
  let outcome = 'cancelled';
  try {
    const result = await auditInEditor(client, { ...p, concurrency }, signal, ({ done, total, findings }) =>
      send({ kind: 'report', message: `${done}/${total} repositories, ${findings} finding${findings === 1 ? '' : 's'}`, percentage: total ? Math.floor((done * 100) / total) : 0 }),
    );
    outcome = `${result.totals.repositories} repositories, ${result.totals.findings} findings`;
    return result;
  } catch (e) {
    if (!signal.aborted) outcome = 'failed';
    throw e;
  } finally {
    send({ kind: 'end', message: outcome });
  }
}
