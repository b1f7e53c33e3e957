/**
 * The server's connection. With `--stdio`, messages are read by lsp/stdioReader.ts (issue 13:
 * large documents open without three extra copies of their text), so the connection is made
 * from a reader and a writer, and what vscode-languageserver's createConnection does itself for
 * `--stdio` is done here: console output that would corrupt stdout goes to the client's log,
 * and the process ends when stdin does. Other transports (--node-ipc, --socket, --pipe) are the
 * library's own.
 */
import { format } from 'node:util';
import { createConnection, ProposedFeatures, StreamMessageWriter, type Connection } from 'vscode-languageserver/node';
import { StdioMessageReader } from './stdioReader';

export interface ServerConnection {
  readonly connection: Connection;
  /** Call when the shutdown request arrives: stdin closing then ends the process with 0, not 1. */
  shutdownReceived(): void;
}

export function createServerConnection(argv: readonly string[] = process.argv): ServerConnection {
  if (!argv.slice(2).includes('--stdio')) return { connection: createConnection(ProposedFeatures.all), shutdownReceived: () => undefined };
  const connection = createConnection(ProposedFeatures.all, new StdioMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  let shutdown = false;
  const exit = (): void => process.exit(shutdown ? 0 : 1);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  // stdout carries the protocol: what the code or a library prints goes to the client's log.
  console.log = (...args: unknown[]) => connection.console.log(format(...args));
  console.info = (...args: unknown[]) => connection.console.info(format(...args));
  console.debug = (...args: unknown[]) => connection.console.log(format(...args));
  console.warn = (...args: unknown[]) => connection.console.warn(format(...args));
  console.error = (...args: unknown[]) => connection.console.error(format(...args));
  console.dir = (item: unknown) => connection.console.log(format('%O', item));
  console.table = (data: unknown) => connection.console.log(format('%O', data));
  return { connection, shutdownReceived: () => { shutdown = true; } };
}
