/** rules.md §14: the image config (OCI and Docker), single-document rules. */
import { digestProblem } from '../digest';
import { elements, keyOf, propertyOf, properties, rawText, valueOf, type Node } from '../json';
import type { Rule, RuleContext } from '../types';
import { docFix, rfc3339Problem } from './annotations';
import { IS_SPEC, replaceEdit, shorten } from './helpers';

const CONFIG_SPEC = IS_SPEC + 'config.md#properties';

type JsonType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string[]' | 'integer';

interface FieldSpec {
  readonly type: JsonType;
  /** REQUIRED fields may not be null; OPTIONAL ones MAY (config.md). */
  readonly required?: boolean;
}

/** config-schema.json, plus the Docker fields image-spec reserves (Memory, MemorySwap, CpuShares, Healthcheck) and Docker's Shell/OnBuild. */
const TOP: Readonly<Record<string, FieldSpec>> = {
  created: { type: 'string' },
  author: { type: 'string' },
  architecture: { type: 'string', required: true },
  os: { type: 'string', required: true },
  'os.version': { type: 'string' },
  'os.features': { type: 'string[]' },
  variant: { type: 'string' },
  config: { type: 'object' },
  rootfs: { type: 'object', required: true },
  history: { type: 'array' },
};

const EXECUTION: Readonly<Record<string, FieldSpec>> = {
  User: { type: 'string' },
  ExposedPorts: { type: 'object' },
  Env: { type: 'string[]' },
  Entrypoint: { type: 'string[]' },
  Cmd: { type: 'string[]' },
  Volumes: { type: 'object' },
  WorkingDir: { type: 'string' },
  Labels: { type: 'object' },
  StopSignal: { type: 'string' },
  ArgsEscaped: { type: 'boolean' },
  Memory: { type: 'integer' },
  MemorySwap: { type: 'integer' },
  CpuShares: { type: 'integer' },
  Healthcheck: { type: 'object' },
  Shell: { type: 'string[]' },
  OnBuild: { type: 'string[]' },
};

const ROOTFS: Readonly<Record<string, FieldSpec>> = {
  type: { type: 'string', required: true },
  diff_ids: { type: 'string[]', required: true },
};

const HISTORY: Readonly<Record<string, FieldSpec>> = {
  created: { type: 'string' },
  author: { type: 'string' },
  created_by: { type: 'string' },
  comment: { type: 'string' },
  empty_layer: { type: 'boolean' },
};

const RESERVED = ['Memory', 'MemorySwap', 'CpuShares', 'Healthcheck'];


function execConfig(ctx: RuleContext): Node | undefined {
  const c = valueOf(ctx.root, 'config');
  return c?.type === 'object' ? c : undefined;
}

function objectAt(obj: Node | undefined, key: string): Node | undefined {
  const n = valueOf(obj, key);
  return n?.type === 'object' ? n : undefined;
}

const TYPE_NAMES: Record<JsonType, string> = {
  string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', object: 'an object', array: 'an array', 'string[]': 'an array of strings',
};

/** Reports fields of `obj` whose type does not match `specs`. */
function checkTypes(ctx: RuleContext, obj: Node, specs: Readonly<Record<string, FieldSpec>>, prefix: string): void {
  for (const prop of properties(obj)) {
    const key = keyOf(prop);
    const spec = Object.prototype.hasOwnProperty.call(specs, key) ? specs[key] : undefined;
    const value = prop.children?.[1];
    if (!spec || !value) continue;
    if (value.type === 'null') {
      if (spec.required) ctx.report(value, `${prefix}${key} is null, but it is REQUIRED and must be ${TYPE_NAMES[spec.type]}.`);
      continue;
    }
    const raw = (): string => shorten(rawText(ctx.text, value), 40);
    switch (spec.type) {
      case 'string[]':
        if (value.type !== 'array') { ctx.report(value, `${prefix}${key} is ${raw()}; it must be an array of strings.`); break; }
        for (const e of elements(value)) if (e.type !== 'string') ctx.report(e, `${prefix}${key} entries must be strings, not ${shorten(rawText(ctx.text, e), 40)}.`);
        break;
      case 'integer':
        if (value.type !== 'number' || !/^-?\d+$/.test(rawText(ctx.text, value))) ctx.report(value, `${prefix}${key} is ${raw()}; it must be an integer.`);
        break;
      default:
        if (value.type !== spec.type) ctx.report(value, `${prefix}${key} is ${raw()}; it must be ${TYPE_NAMES[spec.type]}.`);
    }
  }
}

/** An ExposedPorts key: `port` or `start-end` (start <= end), ports 1-65535, then an optional /tcp, /udp or /sctp. */
function exposedPortKeyOk(key: string): boolean {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(?:tcp|udp|sctp))?$/.exec(key);
  if (!m) return false;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start >= 1 && end <= 65535 && start <= end;
}

export const configRules: Rule[] = [
  {
    id: 'config-required',
    severity: 'error',
    appliesTo: ['config'],
    description: 'The image config lacks architecture, os, rootfs, rootfs.type or rootfs.diff_ids.',
    why: 'architecture, os and rootfs (with type and diff_ids) are REQUIRED: runtimes select the platform and verify every layer against its DiffID.',
    source: 'image-spec config.md; config-schema.json required [architecture, os, rootfs]',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      const missing = ['architecture', 'os', 'rootfs'].filter((k) => !propertyOf(ctx.root, k));
      if (missing.length > 0) {
        ctx.reportAt(ctx.root.offset, 1, `The image config is missing ${missing.map((m) => `"${m}"`).join(', ')}: these fields are REQUIRED.`);
      }
      const rootfs = objectAt(ctx.root, 'rootfs');
      if (!rootfs) return;
      const inner = ['type', 'diff_ids'].filter((k) => !propertyOf(rootfs, k));
      if (inner.length > 0) {
        ctx.report(propertyOf(ctx.root, 'rootfs')!.children![0], `rootfs is missing ${inner.map((m) => `"${m}"`).join(' and ')}: rootfs REQUIRES "type": "layers" and the "diff_ids" of the layers.`);
      }
    },
  },
  {
    id: 'config-field-type',
    severity: 'error',
    appliesTo: ['config'],
    description: 'An image config field has the wrong JSON type.',
    why: 'config-schema.json fixes the type of each field (strings, arrays of strings, objects such as Volumes and ExposedPorts); Go decoders fail on anything else ("cannot unmarshal number into Go struct field … of type string"), so docker, podman and containerd cannot run the image. OPTIONAL fields MAY be null.',
    source: 'image-spec config-schema.json; config.md "Any OPTIONAL field MAY also be set to null"',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      checkTypes(ctx, ctx.root, TOP, '');
      const exec = execConfig(ctx);
      if (exec) checkTypes(ctx, exec, EXECUTION, 'config.');
      const rootfs = objectAt(ctx.root, 'rootfs');
      if (rootfs) checkTypes(ctx, rootfs, ROOTFS, 'rootfs.');
      const history = valueOf(ctx.root, 'history');
      elements(history).forEach((h, i) => {
        if (h.type !== 'object') { ctx.report(h, `history[${i}] must be an object.`); return; }
        checkTypes(ctx, h, HISTORY, `history[${i}].`);
      });
    },
  },
  {
    id: 'config-rootfs-type',
    severity: 'error',
    appliesTo: ['config'],
    description: 'rootfs.type is not "layers".',
    why: 'rootfs.type MUST be set to "layers"; implementations MUST generate an error on an unknown value (go-containerregistry: "invalid ConfigFile.RootFS.Type").',
    source: 'image-spec config.md rootfs.type',
    specUrl: CONFIG_SPEC,
    fix: 'Set "layers".',
    check(ctx) {
      const type = valueOf(objectAt(ctx.root, 'rootfs'), 'type');
      if (type?.type !== 'string' || type.value === 'layers') return;
      const close = (type.value as string).trim().toLowerCase() === 'layers';
      ctx.report(type, `rootfs.type is "${shorten(type.value as string, 60)}"; it MUST be "layers", and runtimes refuse anything else.`, {
        fixes: close ? [docFix(ctx, 'Set rootfs.type to "layers"', [replaceEdit(type, 'layers')])] : [],
      });
    },
  },
  {
    id: 'config-diffid-format',
    severity: 'error',
    appliesTo: ['config'],
    description: 'A rootfs.diff_ids entry is not a valid digest.',
    why: 'Each DiffID is the digest of an uncompressed layer tar; runtimes verify unpacked layers against it, and go-digest refuses malformed digests.',
    source: 'image-spec config.md rootfs.diff_ids; descriptor.md Digests',
    specUrl: CONFIG_SPEC,
    fix: 'Lowercase the digest when that makes it valid.',
    check(ctx) {
      elements(valueOf(objectAt(ctx.root, 'rootfs'), 'diff_ids')).forEach((d, i) => {
        if (d.type !== 'string') return; // config-field-type
        const p = digestProblem(d.value as string);
        if (!p || p.kind === 'unregistered') return;
        const detail = p.kind === 'grammar' ? 'does not match the digest grammar algorithm:encoded' : p.detail;
        ctx.report(d, `rootfs.diff_ids[${i}] "${shorten(d.value as string, 80)}" ${detail}.`, {
          fixes: p.fixed ? [docFix(ctx, 'Lowercase the digest (same value)', [replaceEdit(d, p.fixed)])] : [],
        });
      });
    },
  },
  {
    id: 'config-created-format',
    severity: 'warning',
    appliesTo: ['config'],
    description: 'created or history[].created is not an RFC 3339 date-time.',
    why: 'created is "formatted as defined by RFC 3339, section 5.6" (schema format date-time); Go decoders of the config (time.Time) fail on other formats.',
    source: 'image-spec config.md created, history.created',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      const check = (node: Node | undefined, label: string): void => {
        if (node?.type !== 'string') return;
        const p = rfc3339Problem(node.value as string);
        if (p) ctx.report(node, `${label} "${shorten(node.value as string, 60)}" ${p}; it must be RFC 3339, e.g. "2024-05-01T12:00:00Z".`);
      };
      check(valueOf(ctx.root, 'created'), 'created');
      elements(valueOf(ctx.root, 'history')).forEach((h, i) => check(valueOf(h, 'created'), `history[${i}].created`));
    },
  },
  {
    id: 'config-env-format',
    severity: 'error',
    appliesTo: ['config'],
    description: 'A config.Env entry is not VARNAME=VALUE.',
    why: 'Env entries are "in the format of VARNAME=VARVALUE"; image-spec\'s validator refuses others ("unexpected env"), and runtimes drop or misread them.',
    source: 'image-spec config.md Env; schema/validator.go validateConfig ^[^=]+=.*$',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      elements(valueOf(execConfig(ctx), 'Env')).forEach((e, i) => {
        if (e.type !== 'string' || /^[^=]+=.*$/.test(e.value as string)) return;
        const v = e.value as string;
        ctx.report(e, `config.Env[${i}] "${shorten(v, 60)}" ${v.startsWith('=') ? 'has no variable name' : 'has no "="'}; entries must be VARNAME=VALUE.`);
      });
    },
  },
  {
    id: 'config-exposedports-format',
    severity: 'warning',
    appliesTo: ['config'],
    description: 'A config.ExposedPorts key is not port or start-end, with an optional /tcp, /udp or /sctp, or its value is not {}.',
    why: 'ExposedPorts keys are "port/tcp", "port/udp" or "port" (tcp by default) and values are empty objects. Docker also accepts "port/sctp", so that is not flagged; a range "start-end/proto" is what `EXPOSE 1000-1002` and `buildah config --port 1000-1002/tcp` write, and podman binds every port of it (`podman create -P`).',
    source: 'image-spec config.md ExposedPorts; buildah config --port; podman create -P (Debian 12)',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      const ports = objectAt(execConfig(ctx), 'ExposedPorts');
      for (const prop of properties(ports)) {
        const key = keyOf(prop);
        if (!exposedPortKeyOk(key)) {
          ctx.report(prop.children![0], `config.ExposedPorts key "${shorten(key, 60)}" is not "port" or "start-end", optionally with /tcp, /udp or /sctp, with ports between 1 and 65535.`);
        }
        const value = prop.children?.[1];
        if (value && value.type !== 'object') ctx.report(value, `config.ExposedPorts["${shorten(key, 60)}"] must be an empty object {}.`);
      }
    },
  },
  {
    id: 'config-volumes-format',
    severity: 'warning',
    appliesTo: ['config'],
    description: 'A config.Volumes value is not {}.',
    why: 'Volumes is a set: keys are paths and values are empty objects (config-schema.json mapStringObject); other values are dropped or refused by Go decoders.',
    source: 'image-spec config.md Volumes',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      for (const prop of properties(objectAt(execConfig(ctx), 'Volumes'))) {
        const value = prop.children?.[1];
        if (value && value.type !== 'object') ctx.report(value, `config.Volumes["${shorten(keyOf(prop), 60)}"] must be an empty object {}.`);
      }
    },
  },
  {
    id: 'config-labels',
    severity: 'error',
    appliesTo: ['config'],
    description: 'A config.Labels value is not a string.',
    why: 'Labels follow the annotation rules: keys and values are strings (map[string]string); Go decoders fail on anything else, so the image cannot be inspected or run.',
    source: 'image-spec config.md Labels; annotations.md Rules',
    specUrl: CONFIG_SPEC,
    fix: 'Quote a number or boolean value.',
    check(ctx) {
      for (const prop of properties(objectAt(execConfig(ctx), 'Labels'))) {
        const value = prop.children?.[1];
        if (!value || value.type === 'string') continue;
        const raw = rawText(ctx.text, value);
        const quotable = value.type === 'number' || value.type === 'boolean';
        ctx.report(value, `config.Labels["${shorten(keyOf(prop), 60)}"] is ${shorten(raw, 40)}; label values must be strings.`, {
          fixes: quotable ? [docFix(ctx, `Quote the value as "${raw}"`, [replaceEdit(value, raw)])] : [],
        });
      }
    },
  },
  {
    id: 'config-reserved-docker-fields',
    severity: 'info',
    appliesTo: ['config'],
    description: 'config uses Memory, MemorySwap, CpuShares or Healthcheck, which image-spec only reserves.',
    why: 'image-spec reserves these Docker fields "to maintain compatibility" but gives them no meaning. Healthcheck is run by Docker and podman but not by Kubernetes runtimes (CRI-O, containerd); the others are not applied by runtimes. A Docker-format config (one with container_config or docker_version, as docker build and buildah --format docker write) is not reported: there the fields are the format\'s own.',
    source: 'image-spec config.md "Additional Fields … reserved"',
    specUrl: IS_SPEC + 'config.md#additional-fields',
    check(ctx) {
      if (propertyOf(ctx.root, 'container_config') || propertyOf(ctx.root, 'docker_version')) return;
      const exec = execConfig(ctx);
      for (const key of RESERVED) {
        const prop = propertyOf(exec, key);
        if (!prop || prop.children?.[1]?.type === 'null') continue;
        ctx.report(prop.children![0], key === 'Healthcheck'
          ? 'config.Healthcheck is a Docker field image-spec only reserves: Docker and podman run it, Kubernetes runtimes (CRI-O, containerd) do not.'
          : `config.${key} is a Docker field image-spec only reserves; runtimes do not apply it.`);
      }
    },
  },
  {
    id: 'config-argsescaped-deprecated',
    severity: 'hint',
    appliesTo: ['config'],
    description: 'config.ArgsEscaped is set; the field is deprecated.',
    why: 'ArgsEscaped is "[Deprecated]" and Windows-specific: it "should not be used by new image builders".',
    source: 'image-spec config.md ArgsEscaped',
    specUrl: CONFIG_SPEC,
    check(ctx) {
      const prop = propertyOf(execConfig(ctx), 'ArgsEscaped');
      if (prop) ctx.report(prop.children![0], 'config.ArgsEscaped is deprecated (Windows-only); new image builders should not set it.');
    },
  },
];
