/**
 * The command line: the same engine and registry client as the language server.
 *   node dist/cli.js lint [--format text|json] [--rule id=severity…] FILE…
 *   node dist/cli.js inspect [--platform os/arch[/variant]] [--lint] REFERENCE
 *   node dist/cli.js digest [--platform os/arch[/variant]] [--verify] REFERENCE
 *   node dist/cli.js rules [ID…]
 */
import { runLint } from './cli/lintCommand';
import { programName, quietOnClosedPipe } from './cli/program';

/** Set by the bundler from package.json (scripts/build.mjs); the sources run under tsx say 'dev'. */
declare const MANIFEST_LENS_VERSION: string | undefined;
const VERSION = typeof MANIFEST_LENS_VERSION === 'string' ? MANIFEST_LENS_VERSION : 'dev';

const PROG = programName();

/** Each command's section of the help: `COMMAND --help` prints its own, `--help` all of them. */
const SECTIONS: Readonly<Record<string, string>> = {
  lint: `  ${PROG} lint [options] FILE|FOLDER|- …
      Lint OCI / Docker manifests, indexes and configs (a folder: the .json files under it;
      -: standard input). Exit 1 when a finding is at least as severe as --fail-on, 2 on a
      usage error (a file that does not exist is one). A JSON file that is not an OCI/Docker
      document gets a note on stderr: nothing to check.
        --format text|json|sarif|github   sarif for code scanning, github for Actions annotations
        --rule ID=off|hint|info|warning|error   change one rule's severity (repeatable)
        --fail-on error|warning|info|hint|never   default error; never always exits 0
        --stdin-name NAME                 the name findings on standard input are reported under
`,
  inspect: `  ${PROG} inspect [options] REFERENCE
      Fetch a manifest from a registry and print the bytes it served, unchanged (what was
      fetched and verified goes to stderr). Exit 3 when the registry cannot give what was asked
      (network, auth, not found, no such platform).
        --platform OS/ARCH[/VARIANT]      follow the index to the matching child
        --lint [--fail-on SEVERITY]       lint it, and for an index every child; exit 1 on a finding
        --format raw|json                 json: digest, Content-Type, verification, text, findings
        --insecure HOST                   plain HTTP to this registry (loopback always may)
        --no-creds                        do not read docker/podman credentials
        --timeout SECONDS                 give up on a stalled request (default 30)
`,
  digest: `  ${PROG} digest [options] REFERENCE
      Print the manifest digest a reference resolves to: HEAD's Docker-Content-Digest, or the
      sha256 of the fetched bytes. Same --insecure, --no-creds, --timeout as inspect. (For a
      local file: sha256sum FILE.)
        --platform OS/ARCH[/VARIANT]      the matching child's digest (a single manifest is an
                                          error: it may be another platform's)
        --verify                          fetch and hash the manifest instead of trusting HEAD
`,
  rules: `  ${PROG} rules [--format text|json] [ID …]
      List the rules, or explain the given ones: what, why, source, spec link, quick-fix.
`,
};

const USAGE = `Usage:\n${Object.values(SECTIONS).join('')}  ${PROG} COMMAND --help
  ${PROG} --version
`;

/** `--help` or `-h` among a command's options (not after `--`, where it would be a file name). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command in SECTIONS && asksForHelp(rest)) {
    process.stdout.write(`Usage:\n${SECTIONS[command]}`);
    return 0;
  }
  switch (command) {
    case 'lint':
      return runLint(rest, process.stdout, process.stderr, VERSION);
    case 'inspect': {
      const { runInspect } = await import('./cli/inspectCommand');
      return runInspect(rest, process.stdout, process.stderr);
    }
    case 'digest': {
      const { runDigest } = await import('./cli/digestCommand');
      return runDigest(rest, process.stdout, process.stderr);
    }
    case 'rules': {
      const { runRules } = await import('./cli/rulesCommand');
      return runRules(rest, process.stdout, process.stderr);
    }
    case '--version':
    case '-v':
      process.stdout.write(`manifest-lens ${VERSION}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write((command ? `unknown command "${command}"\n` : '') + USAGE);
      return 2;
  }
}

quietOnClosedPipe(process.stdout, () => (typeof process.exitCode === 'number' ? process.exitCode : 0));

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`manifest-lens: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
