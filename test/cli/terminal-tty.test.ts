/**
 * The CLI in a terminal (issue 24 item 6): `tree` and `diff` run under a pseudo-terminal
 * (util-linux `script`, 100 columns) against a real registry. On the terminal: every line fits
 * the width with its guides, short digests, one line per finding, colour for severities and diff
 * lines, distinct markers for errors and warnings; `--verbose` the whole message, wrapped. In a
 * pipe, with NO_COLOR, or with --format json: full digests, whole messages, no escape sequences.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasScript, runCli, runCliInTerminal } from '../harness/cli';
import { useSeededRegistry } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { displayWidth } from '../../server/src/cli/terminalText';

const COLUMNS = 100;
const SGR = /\u001b\[[0-9;]*m/g;
const skip = skipUnlessTools({ registry: true }) || (hasScript() ? false : 'util-linux script is not installed');

/** Runs the CLI with its stdout on a pseudo-terminal of COLUMNS columns. */
function runInTerminal(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; text: string }> {
  return runCliInTerminal(args, { env, columns: COLUMNS });
}

function assertFits(text: string): void {
  for (const line of text.split('\n')) {
    const visible = line.replace(SGR, '');
    assert.ok(displayWidth(visible) <= COLUMNS, `a line wider than ${COLUMNS} columns (${displayWidth(visible)}):\n${visible}`);
  }
}

if (skip) {
  test('the CLI in a terminal', { skip }, () => {});
} else {
  describe('the CLI in a terminal (pseudo-terminal, 100 columns)', () => {
    const ctx = useSeededRegistry({ cli: true });
    // The isolated HOME's environment has neither NO_COLOR nor FORCE_COLOR.
    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...ctx.home.env, TERM: 'xterm-256color', ...extra });

    test('tree on a terminal: lines fit, short digests, severities in colour with distinct markers', async () => {
      const seeds = ctx.seeds;
      const r = await runInTerminal(['tree', seeds.podman22196.index.reference], env());
      assert.equal(r.code, 0, r.text);
      assertFits(r.text);
      const visible = r.text.replace(SGR, '');
      assert.ok(visible.includes(`sha256:${seeds.podman22196.index.digest.slice(7, 11)}…`), `a short digest:\n${visible}`);
      assert.doesNotMatch(visible, /sha256:[0-9a-f]{64}/, 'no full digest on the terminal');
      assert.match(r.text, /\u001b\[31m✖ error\u001b\[0m mixed-config-media-type/, 'errors in red');
      assert.match(r.text, /\u001b\[33m▲ warning\u001b\[0m /, 'warnings in yellow, another marker');
      // One line per finding: each finding line is followed by a node or another finding, never by a continuation.
      const lines = visible.split('\n').filter(Boolean);
      assert.deepEqual(lines.slice(1).filter((l) => !/^[│ ]*[├└]─ /.test(l)), [], `every line is a node or a finding:\n${visible}`);
      // Cut lines keep their guides: a finding line cut with … starts with the tree's guides.
      assert.ok(lines.some((l) => l.endsWith('…') && /^[│ ]*[├└]─ ✖ error/.test(l)), `a long finding is cut with …:\n${visible}`);
    });

    test('tree --verbose on a terminal: the whole message, wrapped within the width under its guides', async () => {
      const r = await runInTerminal(['tree', '--verbose', ctx.seeds.podman22196.index.reference], env());
      assert.equal(r.code, 0, r.text);
      assertFits(r.text);
      const pipe = await runCli(['tree', ctx.seeds.podman22196.index.reference], { env: ctx.home.env });
      const full = /✖ error mixed-config-media-type \(\d+:\d+\) (.+)/.exec(pipe.stdout.toString('utf8'))![1];
      const words = r.text.replace(SGR, '').split('\n').map((l) => l.replace(/^[│ ]+/, '')).join(' ');
      assert.ok(words.includes(full.split(' ').slice(-6).join(' ')), `the end of the message is there:\n${r.text}`);
    });

    test('NO_COLOR on a terminal, a pipe, --format json: full digests, whole lines, no escape sequences', async () => {
      const seeds = ctx.seeds;
      const noColor = await runInTerminal(['tree', seeds.podman22196.index.reference], env({ NO_COLOR: '1' }));
      const pipe = await runCli(['tree', seeds.podman22196.index.reference], { env: ctx.home.env });
      for (const [what, text] of [['NO_COLOR', noColor.text], ['pipe', pipe.stdout.toString('utf8')]] as const) {
        assert.ok(!text.includes('\u001b'), `${what}: no escape sequence`);
        assert.ok(text.includes(seeds.podman22196.index.digest), `${what}: the full digest`);
        assert.ok(text.split('\n').some((l) => displayWidth(l) > COLUMNS), `${what}: lines are not cut`);
        assert.match(text, /✖ error mixed-config-media-type/);
      }
      const json = await runInTerminal(['tree', '--format', 'json', seeds.podman22196.index.reference], env());
      assert.ok(!json.text.includes('\u001b'), 'json: no escape sequence');
      assert.equal(JSON.parse(json.text).digest, seeds.podman22196.index.digest);
    });

    test('diff on a terminal: + lines green, - lines red; in a pipe plain', async () => {
      const seeds = ctx.seeds;
      const args = ['diff', seeds.cleanOci.amd64.byDigest, seeds.podman22196.amd64.byDigest];
      const r = await runInTerminal(args, env());
      assert.equal(r.code, 1, r.text);
      assert.match(r.text, /\u001b\[32m\+(?!\+\+)/, 'added lines in green');
      assert.match(r.text, /\u001b\[31m-(?!--)/, 'removed lines in red');
      const pipe = await runCli(args, { env: ctx.home.env });
      assert.ok(!pipe.stdout.includes(0x1b), 'no escape sequence in a pipe');
      const forced = await runCli(['diff', '--color=always', ...args.slice(1)], { env: ctx.home.env });
      assert.ok(forced.stdout.includes(0x1b), '--color=always colours a pipe');
    });
  });
}
