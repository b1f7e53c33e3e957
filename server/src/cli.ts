/**
 * The command line: the same engine and registry client as the language server.
 *   node dist/cli.js lint [--format text|json] [--rule id=severity…] FILE…
 *   node dist/cli.js inspect [--platform os/arch[/variant]] [--lint] REFERENCE
 *   node dist/cli.js digest [--platform os/arch[/variant]] [--verify] REFERENCE
 *   node dist/cli.js tree [--format text|json] REFERENCE
 *   node dist/cli.js diff [--platform os/arch[/variant]] A B
 *   node dist/cli.js push FILE REFERENCE
 *   node dist/cli.js fix --to oci|docker (--tag NEWTAG | --in-place | --dry-run) REFERENCE
 *   node dist/cli.js rules [ID…]
 *   node dist/cli.js verify [--key FILE]… [--notation-config DIR] REFERENCE
 */
import { directOutput, programName, quietOnClosedPipe } from './cli/program';

/** Set by the bundler from package.json (scripts/build.mjs); the sources run under tsx say 'dev'. */
declare const MANIFEST_LENS_VERSION: string | undefined;
const VERSION = typeof MANIFEST_LENS_VERSION === 'string' ? MANIFEST_LENS_VERSION : 'dev';

const PROG = programName();

/** Each command's section of the help: `COMMAND --help` prints its own, `--help` all of them. */
const SECTIONS: Readonly<Record<string, string>> = {
  lint: `  ${PROG} lint [options] FILE|FOLDER|- …
      Lint OCI / Docker manifests, indexes and configs (a folder: the .json files under it;
      -: standard input). An OCI image layout folder (oci-layout + index.json) is checked as a
      whole: every blob reachable from index.json is hashed and matched to its descriptor. Exit
      1 when a finding is at least as severe as --fail-on, 2 on a usage error (a file that does
      not exist is one). A JSON file that is not an OCI/Docker document gets a note on stderr:
      nothing to check.
        --format text|json|sarif|github   sarif for code scanning, github for Actions annotations
        --rule ID=off|hint|info|warning|error   change one rule's severity (repeatable)
        --fail-on error|warning|info|hint|never   default error; never always exits 0
        --stdin-name NAME                 the name findings on standard input are reported under
        --color auto|always|never         colour the severities (auto: on a terminal, not with NO_COLOR)
`,
  inspect: `  ${PROG} inspect [options] REFERENCE
      Fetch a manifest from a registry and print the bytes it served, unchanged (what was
      fetched and verified goes to stderr). Exit 3 when the registry cannot give what was asked
      (network, auth, not found, no such platform). REFERENCE oci:DIR[:TAG] reads an OCI image
      layout on disk like skopeo's oci: transport (TAG: the org.opencontainers.image.ref.name).
        --platform OS/ARCH[/VARIANT]      follow the index to the matching child
        --lint [--fail-on SEVERITY]       lint it, and for an index every child; exit 1 on a finding
        --format raw|json                 json: digest, Content-Type, verification, text, findings
        --insecure HOST                   plain HTTP to this registry (loopback always may)
        --no-creds                        do not read docker/podman credentials
        --timeout SECONDS                 the longest a request may take or stall (0.1-86400, default 30)
`,
  digest: `  ${PROG} digest [options] REFERENCE
      Print the manifest digest a reference resolves to: HEAD's Docker-Content-Digest, or the
      sha256 of the fetched bytes. Same --insecure, --no-creds, --timeout as inspect. (For a
      local file: sha256sum FILE.)
        --platform OS/ARCH[/VARIANT]      the matching child's digest (a single manifest is an
                                          error: it may be another platform's)
        --verify                          fetch and hash the manifest instead of trusting HEAD
`,
  tree: `  ${PROG} tree [options] REFERENCE|oci:DIR[:TAG]
      The image graph as the registry serves it (or an OCI image layout holds it): index →
      platforms → config and layers → referrers (Referrers API, else the sha256-… fallback tag;
      in a layout, its manifests whose subject is the node), each node with its digest, size
      and problems by rule id. Every child is linted and checked against its entry (size, media
      type, platform vs its config). Exit 3 when the registry cannot serve the reference.
        --format text|json                json: the whole graph, for jq
        --no-referrers                    do not ask for referrers
        --depth N                         nested indexes followed (default 4)
        --concurrency N                   requests at once (default 4)
        --max-entries N                   entries of each index fetched (default 1024)
        --fail-on error|warning|info|hint|never   exit 1 on a problem this severe (default never)
        --verbose                         on a terminal, each finding's whole message (wrapped)
        --color auto|always|never         colour the severities (auto: on a terminal, not with NO_COLOR)
      On a terminal (unless NO_COLOR is set): short digests, one line per finding, lines cut to
      its width. In a pipe or a file: whole values. Same --insecure, --no-creds, --timeout as inspect.
`,
  diff: `  ${PROG} diff [options] A B
      Compare two manifests (references, or local files): their differences line by line and
      what changed (media types; layers added, removed, changed; config env, labels, entrypoint,
      cmd, history). Exit 0 when the same, 1 when different, 2 usage, 3 registry.
        --platform OS/ARCH[/VARIANT]      compare that platform's manifests of two indexes
        --format text|json
        --color auto|always|never         colour + and - lines (auto: on a terminal, not with NO_COLOR)
      Same --insecure, --no-creds, --timeout as inspect.
`,
  verify: `  ${PROG} verify [options] REFERENCE
      The signatures on an image (cosign tags sha256-….sig/.att, referrers), each with one
      verdict against the trust given, offline: verified; signature valid, no transparency-log
      proof (a --key signature without a checked log entry); cannot verify offline; invalid (and
      why); not verified: no trust configured. Exit 0 when at least one signature verifies, 1 when
      none does (unsigned included), 2 usage, 3 registry.
        --platform OS/ARCH[/VARIANT]      verify that platform's manifest of an index
        --key FILE                        a cosign public key (PEM: ECDSA, RSA, Ed25519; repeatable)
        --notation-config DIR             trustpolicy.json + truststore/x509/ca/NAME/*.pem (default:
                                          notation's own folder, when it holds a trust policy)
        --trusted-root FILE               Sigstore's trusted_root.json: Rekor entries are checked
                                          against it (their age: refresh it from Sigstore's TUF)
        --certificate-identity ID --certificate-oidc-issuer URL
                                          with --trusted-root: keyless signatures (exact SAN)
        --format text|json
      Same --insecure, --no-creds, --timeout as inspect.
`,
  fix: `  ${PROG} fix --to oci|docker (--tag NEWTAG | --in-place | --dry-run) [options] REFERENCE
      Repair an image in its registry: relabel every manifest under REFERENCE (an index and its
      children, nested indexes too) to one family, OCI or Docker (manifest, config and layer
      media types; each index entry's mediaType, digest and size follow its new child; all else
      kept). The new children are pushed by digest, then the top manifest under NEWTAG
      (--tag) or REFERENCE's own tag (--in-place). No blob is uploaded. One of --tag,
      --in-place, --dry-run is required: nothing is written unless asked. Exit 0 written (or
      nothing to fix), 1 refused before writing (a layer the target cannot express, e.g. zstd
      for Docker; a missing blob; the tag moved), 2 usage, 3 the registry could not serve (not
      found, no such --platform) or refused a write.
        --to oci|docker                   the family to convert to
        --tag NEWTAG                      write the repaired image under this tag (same repository)
        --in-place                        move REFERENCE's tag (says the digest it pointed at)
        --dry-run                         print old and new digests and a diff; send no write
                                          (with --tag or --in-place: what that would write)
        --platform OS/ARCH[/VARIANT]      repair only that platform's manifest (with --tag)
        --force                           move a tag that exists (--tag) or moved meanwhile (--in-place)
        --format text|json
      Writing needs push rights (token scope repository:NAME:pull,push). Same --insecure,
      --no-creds, --timeout as inspect.
`,
  push: `  ${PROG} push [options] FILE REFERENCE
      Push a local manifest or index as it is (crane/regctl manifest put): the file's bytes,
      Content-Type from its mediaType, under REFERENCE's tag (or by digest). Linted first: a
      document with errors is refused unless --force. Refused too (exit 1, nothing written)
      when a blob or child manifest it names is not in the repository: push uploads no blob.
        --force                           push a document with lint errors
        --format text|json
      Same --insecure, --no-creds, --timeout as inspect.
`,
  audit: `  ${PROG} audit [options] REGISTRY[/PREFIX]
      Check every repository (the catalog's, or --repos) and every tag of a registry: each tag
      resolved (HEAD), each distinct digest fetched and linted once with its children, every tag
      pointing at it given its findings. Exit 1 on a finding at --fail-on or worse, 2 usage, 3
      when the registry cannot be reached at all; a repository that fails is reported.
        --repos FILE|-                    repository names, one a line (registries without a catalog)
        --state FILE                      journal: a run killed and run again resumes where it was
        --shard I/N                       this process's part (0-based), by a hash of the name
        --merge REPORT.json…              merge the JSON reports of the shards into one
        --format text|json|sarif          sarif: each finding at oci://REGISTRY/REPO@DIGEST
        --fail-on error|warning|info|hint|never   default error
        --concurrency N                   requests at once (default 8)
        --max-tags N                      the first N tags of each repository
        --page-size N                     names asked per catalog or tag-list page (default 100)
      Same --insecure, --no-creds, --timeout as inspect.
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

/**
 * Where the commands write: direct synchronous writes (cli/program.ts directOutput), which spare
 * every start the creation of Node's stdout and stderr streams; on Windows, where console and
 * pipe writes differ, those streams.
 */
function outputs(): { out: NodeJS.WritableStream; err: NodeJS.WritableStream } {
  if (process.platform === 'win32') {
    quietOnClosedPipe(process.stdout);
    return { out: process.stdout, err: process.stderr };
  }
  return { out: directOutput(1), err: directOutput(2) };
}

async function main(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [command, ...rest] = argv;
  if (command in SECTIONS && asksForHelp(rest)) {
    out.write(`Usage:\n${SECTIONS[command]}`);
    return 0;
  }
  switch (command) {
    case 'lint': {
      // Like every command, its own bundle (dist/cli-lint.js): the registry commands load the
      // engine only when they lint (issue 13).
      const { runLint } = await import('./cli/lintCommand');
      return runLint(rest, out, err, VERSION);
    }
    case 'inspect': {
      const { runInspect } = await import('./cli/inspectCommand');
      return runInspect(rest, out, err);
    }
    case 'digest': {
      const { runDigest } = await import('./cli/digestCommand');
      return runDigest(rest, out, err);
    }
    case 'tree': {
      const { runTree } = await import('./cli/treeCommand');
      return runTree(rest, out, err);
    }
    case 'diff': {
      const { runDiff } = await import('./cli/diffCommand');
      return runDiff(rest, out, err);
    }
    case 'verify': {
      const { runVerify } = await import('./cli/verifyCommand');
      return runVerify(rest, out, err);
    }
    case 'fix': {
      const { runFix } = await import('./cli/fixCommand');
      return runFix(rest, out, err);
    }
    case 'push': {
      const { runPush } = await import('./cli/pushCommand');
      return runPush(rest, out, err);
    }
    case 'audit': {
      const { runAudit } = await import('./cli/auditCommand');
      return runAudit(rest, out, err);
    }
    case 'rules': {
      const { runRules } = await import('./cli/rulesCommand');
      return runRules(rest, out, err);
    }
    case '--version':
    case '-v':
      out.write(`manifest-lens ${VERSION}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      out.write(USAGE);
      return 0;
    default:
      err.write((command ? `unknown command "${command}"\n` : '') + USAGE);
      return 2;
  }
}

const streams = outputs();

main(process.argv.slice(2), streams.out, streams.err).then(
  (code) => { process.exitCode = code; },
  (e) => {
    // Not a usage error (2): a failure of this program, said in one line (sysexits EX_SOFTWARE).
    // On one line, its control and bidi characters escaped (the message may quote a registry's text).
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 1000)
      .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    streams.err.write(`manifest-lens: unexpected failure: ${message}\n`);
    process.exitCode = 70;
  },
);
