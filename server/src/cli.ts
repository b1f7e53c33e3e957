/**
 * The command line: the same engine and registry client as the language server.
 *   node dist/cli.js lint [--format text|json] [--rule id=severity…] FILE…
 *   node dist/cli.js inspect [--platform os/arch[/variant]] [--lint] REFERENCE
 *   node dist/cli.js digest [--platform os/arch[/variant]] [--verify] REFERENCE
 *   node dist/cli.js rules [ID…]
 */
import { runLint } from './cli/lintCommand';

/** Set by the bundler from package.json (scripts/build.mjs); the sources run under tsx say 'dev'. */
declare const MANIFEST_LENS_VERSION: string | undefined;
const VERSION = typeof MANIFEST_LENS_VERSION === 'string' ? MANIFEST_LENS_VERSION : 'dev';

const USAGE = `Usage:
  manifest-lens lint [--format text|json|sarif|github] [--rule ID=off|hint|info|warning|error]…
                     [--fail-on error|warning|info|hint|never] [--stdin-name NAME] FILE…|-
      Lint OCI / Docker manifests, indexes and configs. Exit 1 when a finding is at least as
      severe as --fail-on (default: error), 2 on a usage error. sarif is for code scanning,
      github prints GitHub Actions annotations. - reads standard input. --fail-on never always
      exits 0, even for a file that cannot be read.
  manifest-lens inspect [--platform OS/ARCH[/VARIANT]] [--lint] [--insecure HOST]… REFERENCE
      Fetch a manifest from a registry and print the bytes it served, unchanged. With --lint,
      lint it (and, for an index, every child manifest); exit 1 on an error, 3 on a registry error.
  manifest-lens digest [--platform OS/ARCH[/VARIANT]] [--verify] [--insecure HOST]… REFERENCE
      Print the manifest digest a reference resolves to (with --platform, the matching child's):
      HEAD's Docker-Content-Digest, or the sha256 of the fetched bytes with --verify.
  manifest-lens rules [--format text|json] [ID…]
      List the rules, or explain the given ones: what, why, source, spec link, quick-fix.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`manifest-lens: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
