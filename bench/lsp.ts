/**
 * Drives language servers over LSP (stdio, as an editor does) and times what the user sees:
 * from `didOpen` / `didChange` being sent to the first `publishDiagnostics` for that version.
 * Used by bench.ts for Manifest Lens (dist/server.js) and vscode-json-language-server side by
 * side, and by `node dist/bench.js --profile-server` to record a CPU profile of our server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

export interface LspServer {
  readonly name: string;
  readonly child: ChildProcess;
  readonly connection: MessageConnection;
  /** Resolves at the next publishDiagnostics for `uri` (with `version`, when the server sends versions). */
  diagnostics(uri: string, version?: number): Promise<{ count: number; at: number }>;
  /** The server's resident set size now (Linux /proc), in bytes. */
  rss(): number;
  stop(): Promise<void>;
}

interface Waiter {
  readonly uri: string;
  readonly version?: number;
  readonly resolve: (v: { count: number; at: number }) => void;
}

/** Starts `node ARGS… --stdio` and initializes it as a client without configuration or pull diagnostics would. */
export async function startServer(name: string, nodeArgs: readonly string[]): Promise<LspServer> {
  const child = spawn(process.execPath, [...nodeArgs, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiters: Waiter[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: unknown[] }) => {
    const at = performance.now();
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      if (w.uri !== p.uri) continue;
      // json-language-server sends no version: its first publication after the change is the one.
      if (w.version !== undefined && p.version !== undefined && p.version !== w.version) continue;
      waiters.splice(i--, 1);
      w.resolve({ count: p.diagnostics.length, at });
    }
  });
  connection.onNotification(() => undefined); // window/logMessage and the like
  connection.onRequest(() => null); // client/registerCapability, workspace/configuration
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { textDocument: { publishDiagnostics: { versionSupport: true }, synchronization: { didSave: false } } },
    initializationOptions: { provideFormatter: false },
  });
  await connection.sendNotification('initialized', {});
  return {
    name,
    child,
    connection,
    diagnostics: (uri, version) => new Promise((resolve) => waiters.push({ uri, version, resolve })),
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : NaN;
    },
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      connection.dispose();
    },
  };
}

/** didOpen → first publishDiagnostics, in ms. */
export async function openToDiagnostics(s: LspServer, uri: string, text: string): Promise<{ ms: number; count: number }> {
  const published = s.diagnostics(uri, 1);
  const t0 = performance.now();
  await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'json', version: 1, text } });
  const { at, count } = await published;
  return { ms: at - t0, count };
}

/** didClose, then waits for the server to clear the document's diagnostics. */
export async function close(s: LspServer, uri: string): Promise<void> {
  const cleared = s.diagnostics(uri);
  await s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  await cleared;
}

/**
 * One keystroke: replaces the character at `offset` with `ch` (an incremental change, as
 * VS Code sends) and times didChange → the publishDiagnostics of that version.
 */
export async function keystrokeToDiagnostics(s: LspServer, uri: string, version: number, line: number, character: number, ch: string): Promise<number> {
  const published = s.diagnostics(uri, version);
  const t0 = performance.now();
  await s.connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version },
    contentChanges: [{ range: { start: { line, character }, end: { line, character: character + 1 } }, text: ch }],
  });
  const { at } = await published;
  return at - t0;
}
