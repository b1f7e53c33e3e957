/** An audit's SARIF (graph/auditSarif.ts): what could not be audited is in the file, not left out as if clean. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { auditReport, type RepositoryAudit } from '../../server/src/graph/audit';
import { sarifOfAudit } from '../../server/src/graph/auditSarif';

const run = { requests: 3, notSent: 0, bytes: 100, seconds: 0.1, resumed: 0, rateWaits: 0, rateWaitSeconds: 0 };
const digest = `sha256:${'a'.repeat(64)}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const invocationsOf = (report: ReturnType<typeof auditReport>): any[] => (sarifOfAudit(report, 'test') as any).runs[0].invocations;

describe('audit SARIF', () => {
  it('says a clean run executed successfully', () => {
    const ok: RepositoryAudit = { repository: 'team/app', tags: [{ tag: 'v1', digest }], digests: [] };
    const inv = invocationsOf(auditReport({ registry: 'r.example:5000' }, [ok], run));
    assert.deepEqual(inv, [{ executionSuccessful: true }]);
  });

  it('names a repository that could not be audited and a tag that did not resolve, and is not successful', () => {
    const missing: RepositoryAudit = { repository: 'team/typo', tags: [], digests: [], error: 'r.example:5000 answered 404 Not Found (NAME_UNKNOWN)' };
    const half: RepositoryAudit = { repository: 'team/app', tags: [{ tag: 'v1', digest }, { tag: 'v2', error: 'timed out' }], digests: [] };
    const report = auditReport({ registry: 'r.example:5000' }, [missing, half], run);
    assert.equal(report.findings.length, 0, 'no finding: without the invocation the SARIF reads as clean');
    const [inv] = invocationsOf(report);
    assert.equal(inv.executionSuccessful, false);
    const texts = inv.toolExecutionNotifications.map((n: { message: { text: string } }) => n.message.text);
    assert.deepEqual(texts, [
      'r.example:5000/team/app:v2: not resolved: timed out',
      'r.example:5000/team/typo: the repository could not be audited: r.example:5000 answered 404 Not Found (NAME_UNKNOWN)',
    ]);
    assert.ok(inv.toolExecutionNotifications.every((n: { level: string }) => n.level === 'error'));
  });
});
