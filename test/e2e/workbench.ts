/**
 * A real VS Code for the end-to-end tests: code-server (VS Code in a browser, with a real Node
 * extension host) with the packaged .vsix installed into a fresh extensions folder, a fresh user
 * data folder and a fresh copy of samples/ as the workspace, driven by Playwright in Debian's
 * Chromium. What the helpers read is what a person sees: squiggles, the Problems panel, hovers,
 * quick-fix menus, notifications, editor tabs and text. Every wait polls for a state; none sleeps
 * a fixed time.
 *
 * Environment (set by scripts/run-e2e.mjs; defaults let one file run on its own):
 *   MANIFEST_LENS_VSIX        the .vsix to install (default: manifest-lens.vsix in the repo root)
 *   MANIFEST_LENS_E2E_CACHE   where scripts/e2e-setup.mjs installed code-server and Node 24
 *   MANIFEST_LENS_E2E_SHOTS   the screenshot folder (default: test-results/e2e)
 *   MANIFEST_LENS_E2E_TMP     a folder for this run's temporary files (default: the OS temp dir)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { freePort } from '../harness/net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
// @ts-ignore a plain ES module without type declarations
import { codeServerEnv, e2ePaths } from '../../scripts/e2e-setup.mjs';

export const REPO = resolve(__dirname, '..', '..');
export const SHOTS = resolve(process.env.MANIFEST_LENS_E2E_SHOTS ?? join(REPO, 'test-results', 'e2e'));
export const VSIX = resolve(process.env.MANIFEST_LENS_VSIX ?? join(REPO, 'manifest-lens.vsix'));
export const EXTENSION_ID = 'manifest-lens.manifest-lens';

/** Chromium flags from E2E.md. (run-e2e.mjs sets TMPDIR, so a browser a crash left behind is found by its profile path.) */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DEFAULT_SETTINGS = {
  'editor.stickyScroll.enabled': false,
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'manifestLens.registry.insecureHosts': [],
  // Less noise offline, and no tips or walkthroughs over the editor.
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'editor.codeLens': true,
  'workbench.editor.enablePreview': false,
};

export interface PollOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/** Polls `probe` until it returns a truthy value; throws with `what` and the last value on timeout. */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, opts: PollOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const detail = lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message.split('\n')[0] : String(lastErr)})` : ` (last value: ${JSON.stringify(last)?.slice(0, 300)})`;
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 150));
  }
}


/** Monaco renders spaces as U+00A0; give plain text back. */
export function plain(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

export interface WorkbenchOptions {
  /** Names screenshots and the temp folder. */
  readonly name: string;
  readonly settings?: Record<string, unknown>;
  /** More .vsix files to install next to Manifest Lens. */
  readonly extraVsix?: readonly string[];
  /** More environment for code-server (its extension host inherits it). */
  readonly env?: Record<string, string>;
}

export class Workbench {
  page!: Page;
  browser!: Browser;
  port = 0;
  url = '';
  readonly root: string;
  readonly workspace: string;
  readonly userData: string;
  readonly extensions: string;
  private server?: ChildProcess;
  private serverExit?: Promise<void>;
  private shotCount = 0;
  private readonly paths = e2ePaths(process.env.MANIFEST_LENS_E2E_CACHE || undefined) as { node: string; codeServerEntry: string; chromium: string; cache: string };

  /** Extra environment for code-server and its extension host; may be added to before start(). */
  readonly env: Record<string, string>;
  /** Extra .vsix files to install; may be added to before start(). */
  readonly extraVsix: string[];

  constructor(private readonly opts: WorkbenchOptions) {
    this.env = { ...opts.env };
    this.extraVsix = [...(opts.extraVsix ?? [])];
    const base = process.env.MANIFEST_LENS_E2E_TMP ?? tmpdir();
    mkdirSync(base, { recursive: true });
    this.root = mkdtempSync(join(base, `manifest-lens-e2e-${opts.name}-`));
    this.workspace = join(this.root, 'samples');
    this.userData = join(this.root, 'user-data');
    this.extensions = join(this.root, 'extensions');
  }

  /** Installs the .vsix, starts code-server and Chromium, and opens the workspace. */
  async start(): Promise<void> {
    for (const [what, p] of [['Node 24', this.paths.node], ['code-server', this.paths.codeServerEntry], ['chromium', this.paths.chromium], ['the .vsix (npm run package)', VSIX]] as const) {
      if (!existsSync(p)) throw new Error(`${what} is missing at ${p}; run node scripts/e2e-setup.mjs (or npm run test:e2e)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    cpSync(join(REPO, 'samples'), this.workspace, { recursive: true });
    mkdirSync(join(this.userData, 'User'), { recursive: true });
    writeFileSync(join(this.userData, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...this.opts.settings }, null, 2));
    mkdirSync(this.extensions, { recursive: true });

    // The extension gallery (open-vsx.org by default) on a closed loopback port: a test sends no
    // traffic off this machine, and the workbench's gallery queries fail at once.
    const noGallery = 'http://127.0.0.1:9';
    const env = {
      ...codeServerEnv(this.paths),
      EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: `${noGallery}/gallery`, itemUrl: `${noGallery}/item`, resourceUrlTemplate: `${noGallery}/{publisher}/{name}/{version}/{path}` }),
      ...this.env,
    };
    const base = [this.paths.codeServerEntry, '--user-data-dir', this.userData, '--extensions-dir', this.extensions];
    for (const vsix of [VSIX, ...this.extraVsix]) {
      const inst = spawnSync(this.paths.node, [...base, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
      if (inst.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${inst.status}):\n${inst.stdout}\n${inst.stderr}`);
    }
    if (!readdirSync(this.extensions).some((d) => d.startsWith(EXTENSION_ID + '-'))) throw new Error(`code-server did not install ${VSIX}`);

    this.port = await freePort();
    const log = createWriteStream(join(this.root, 'code-server.log'));
    this.server = spawn(this.paths.node, [
      ...base,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      this.workspace,
    ], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.server.stdout!.pipe(log);
    this.server.stderr!.pipe(log);
    this.serverExit = new Promise((r) => this.server!.once('exit', () => r()));
    const pid = this.server.pid!;
    // A test process that dies without after() must not leave code-server running.
    process.once('exit', () => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });

    const base_url = `http://127.0.0.1:${this.port}`;
    await waitFor('code-server /healthz', async () => {
      if (this.server!.exitCode !== null) throw new Error(`code-server exited (${this.server!.exitCode}); see ${join(this.root, 'code-server.log')}`);
      const r = await fetch(`${base_url}/healthz`).catch(() => undefined);
      return r?.ok;
    }, { timeoutMs: 60_000, intervalMs: 250 });

    this.browser = await chromium.launch({ executablePath: this.paths.chromium, args: CHROMIUM_ARGS, headless: true });
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base_url }).catch(() => undefined);
    this.page = await context.newPage();
    this.url = `${base_url}/?folder=${encodeURIComponent(this.workspace)}`;
    await this.page.goto(this.url, { timeout: 120_000 }); // the first load compiles the workbench: slow on a busy 2-core machine
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The explorer shows the workspace once the remote file system answers.
    await waitFor('the workspace in the explorer', () => this.page.locator('.explorer-folders-view .monaco-list-row').first().isVisible(), { timeoutMs: 60_000 });
  }

  /** Screenshot of the whole page into test-results/e2e, numbered per workbench. */
  async shot(step: string): Promise<string> {
    const file = join(SHOTS, `${this.opts.name}-${String(++this.shotCount).padStart(2, '0')}-${step.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  /** Quick Open (Ctrl+P) a workspace file; resolves when its editor tab is active. */
  async openFile(name: string): Promise<void> {
    const page = this.page;
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    // Enter only once the highlighted row is the file: the list refreshes as it filters.
    await waitFor(`Quick Open to highlight ${name}`, async () => {
      const focused = await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts();
      return focused.length === 1 && focused[0].split('\n')[0].trim() === name;
    });
    await page.keyboard.press('Enter');
    await this.activeTab(name);
  }

  /** Waits until the active editor tab's label contains `label`. */
  async activeTab(label: string, timeoutMs = 20_000): Promise<Locator> {
    const tab = this.page.locator(`.tab.active[aria-label*="${label}"]`).first();
    await tab.waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: timeoutMs });
    return tab;
  }

  /** The visible text of the active editor (Monaco renders only what is on screen). */
  async editorText(): Promise<string> {
    const lines = this.page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
    const texts = await lines.evaluateAll((els) =>
      els
        .map((e) => ({ top: parseFloat((e as HTMLElement).style.top || '0'), text: (e as HTMLElement).innerText }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text));
    return plain(texts.join('\n'));
  }

  /** Shows the Problems panel and returns its rows' text (file rows and problem rows). */
  async problems(): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible().catch(() => false))) {
      await this.page.keyboard.press('Control+Shift+M');
      await panel.waitFor({ state: 'visible' });
    }
    const rows = await this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) =>
      els.map((e) => `${(e as HTMLElement).getAttribute('aria-label') ?? ''} || ${(e as HTMLElement).innerText}`));
    return rows.map(plain);
  }

  /**
   * Runs a command by its title from the Command Palette (F1). The palette lists the commands
   * known when it opens; a command contributed by an extension the remote extension host has not
   * registered yet appears only in a palette opened later, so reopen it until the command is there.
   */
  async runCommand(title: string, timeoutMs = 45_000): Promise<void> {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await waitFor(`the Command Palette to list "${title}"`, async () => {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      const listed = await row.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false);
      if (!listed) await page.keyboard.press('Escape');
      return listed;
    }, { timeoutMs, intervalMs: 500 });
    await row.click();
  }

  /** Texts of the visible notification toasts. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-toast').allInnerTexts()).map(plain);
  }

  /** The text of every log file under the user-data logs folder whose name matches. */
  private logsNamed(match: (name: string) => boolean): string {
    const logs = join(this.userData, 'logs');
    if (!existsSync(logs)) return '';
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (match(name)) out.push(readFileSync(p, 'utf8'));
      }
    };
    walk(logs);
    return out.join('\n');
  }

  /** The extension host log (remote extension host of code-server). */
  exthostLog(): string {
    return this.logsNamed((name) => name === 'remoteexthost.log' || name === 'exthost.log');
  }

  /** The "Manifest Lens" output channel's log file, if the server wrote one. */
  outputChannelLog(): string {
    return this.logsNamed((name) => /Manifest Lens\.log$/.test(name));
  }

  /** Closes Chromium and stops code-server (its whole process group); removes the temp folder. */
  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    const pid = this.server?.pid;
    if (pid && this.server!.exitCode === null && this.server!.signalCode === null) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
      const killed = await Promise.race([this.serverExit!.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
      if (!killed) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
    // Anything else in code-server's group (extension host, language server) goes with it.
    if (pid) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    if (!process.env.MANIFEST_LENS_E2E_KEEP) rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Adds a number or line to test-results/e2e/metrics.json, which scripts/run-e2e.mjs prints. */
export function recordMetric(key: string, value: unknown): void {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, 'metrics.json');
  let data: Record<string, unknown> = {};
  try { data = JSON.parse(readFileSync(file, 'utf8')); } catch { /* first metric */ }
  data[key] = value;
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
}

/** Wraps a test body: on failure, a screenshot named after the test goes with the error. */
export function withFailureShot(wb: Workbench, name: string, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (err) {
      const file = wb.page ? await wb.shot(`FAILED-${name}`) : undefined;
      if (err instanceof Error && file) err.message += `\n(screenshot: ${file})`;
      throw err;
    }
  };
}

export interface SampleRegistry {
  /** The JSON of `sample-registry.mjs --write-refs`. */
  readonly refs: unknown;
  readonly refsFile: string;
  stop(): Promise<void>;
}

/**
 * The sample registry's references: the one scripts/run-e2e.mjs started (MANIFEST_LENS_E2E_REFS),
 * else scripts/sample-registry.mjs started here on a free port (stopped by `stop()`).
 */
export async function sampleRegistry(dir: string): Promise<SampleRegistry> {
  const given = process.env.MANIFEST_LENS_E2E_REFS;
  if (given) return { refs: JSON.parse(readFileSync(given, 'utf8')), refsFile: given, stop: async () => undefined };
  const refsFile = join(dir, 'sample-refs.json');
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [join(REPO, 'scripts', 'sample-registry.mjs'), '--port', String(port), '--write-refs', refsFile], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.once('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const refs = await waitFor('the sample registry to write its references', () => {
    if (child.exitCode !== null) throw new Error(`sample-registry.mjs exited (${child.exitCode}):\n${output}`);
    try { return JSON.parse(readFileSync(refsFile, 'utf8')); } catch { return undefined; }
  }, { timeoutMs: 90_000, intervalMs: 250 });
  return {
    refs,
    refsFile,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
