/** A minimal LSP client over stdio for tests: spawns dist/server.js and speaks JSON-RPC. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const SERVER = join(__dirname, '..', '..', 'dist', 'server.js');

export interface TestServer {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  /** Resolves with the next diagnostics published for `uri` (at or after `version`). */
  diagnostics(uri: string, version?: number, timeoutMs?: number): Promise<Diagnostic[]>;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, text: string, version: number): void;
  stop(): Promise<void>;
  /** Lines the server logged (window/logMessage). */
  readonly logs: string[];
}

/**
 * `nodeArgs` go before the server's path (e.g. `--expose-gc`, `--require` of a probe); `env` replaces the environment;
 * `workspace` is added to the client's workspace capabilities (e.g. `codeLens: { refreshSupport: true }`).
 */
export async function startServer(settings: Record<string, unknown> = {}, options: { nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv; workspace?: Record<string, unknown> } = {}): Promise<TestServer> {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run "node scripts/build.mjs" first`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: options.env ?? process.env });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiting = new Map<string, { version?: number; resolve: (d: Diagnostic[]) => void }[]>();
  const latest = new Map<string, PublishDiagnosticsParams>();
  const logs: string[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, p);
    const list = waiting.get(p.uri) ?? [];
    const keep = list.filter((w) => {
      if (w.version === undefined || p.version === undefined || p.version >= w.version) { w.resolve(p.diagnostics); return false; }
      return true;
    });
    waiting.set(p.uri, keep);
  });
  connection.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
  connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => settings));
  connection.onRequest('client/registerCapability', () => null);
  connection.onError(() => undefined);
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, ...options.workspace }, textDocument: { publishDiagnostics: { versionSupport: true } } },
    initializationOptions: { trusted: false },
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    process: child,
    logs,
    diagnostics(uri, version, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs / 1000} s`)), timeoutMs);
        const list = waiting.get(uri) ?? [];
        list.push({ version, resolve: (d) => { clearTimeout(timer); resolve(d); } });
        waiting.set(uri, list);
      });
    },
    open(uri, text, version = 1) {
      void connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'json', version, text } });
    },
    change(uri, text, version) {
      void connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    },
    async stop() {
      // Every send is awaited or caught: a write to a server that already exited must not
      // surface later as an unhandled rejection that fails the test file.
      try {
        await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await connection.sendNotification('exit').catch(() => undefined);
      } catch { /* already gone */ }
      connection.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
}
