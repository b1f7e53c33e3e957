/** rules.md §14: the image config, single-document rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { MT } from '../../server/src/engine/mediaTypes';
import { RULES } from '../../server/src/engine/ruleTable';
import { findingsOf, ruleCases } from './ruleCases';

const D = 'sha256:' + 'a'.repeat(64);
/** An image config; `top` goes before rootfs, `exec` is the body of "config". */
const cfg = (exec = '', top = '') => `{"architecture":"amd64","os":"linux",${top}"config":{${exec}},"rootfs":{"type":"layers","diff_ids":["${D}"]}}`;
const manifest = `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":{"mediaType":"${MT.ociConfig}","digest":"${D}","size":2},"layers":[{"mediaType":"${MT.ociLayerGzip}","digest":"${D}","size":3}]}`;

ruleCases([
  {
    rule: 'config-required',
    invalid: [`⟦{⟧"architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}`, `{"architecture":"amd64","os":"linux",⟦"rootfs"⟧:{"type":"layers"}}`],
    valid: [cfg(), manifest],
  },
  {
    rule: 'config-field-type',
    invalid: [
      `{"architecture":"amd64","os":⟦123⟧,"rootfs":{"type":"layers","diff_ids":[]}}`,
      cfg('"User":⟦1234⟧,"Env":[⟦7353⟧],"Volumes":⟦["/a"]⟧,"Cmd":⟦"sh"⟧'),
      cfg('', '"history":⟦"should be an array"⟧,"variant":⟦1⟧,'),
      cfg('', '"history":[{"created_by":"x","empty_layer":⟦"true"⟧},⟦"y"⟧],'),
      `{"architecture":⟦null⟧,"os":"linux","rootfs":{"type":"layers","diff_ids":[⟦1⟧]}}`,
    ],
    valid: [
      cfg('"User":"1000","Env":null,"Cmd":null,"Entrypoint":null,"Labels":null,"Volumes":null,"OnBuild":null', '"variant":null,"created":null,"history":null,'),
      cfg('"Memory":0,"CpuShares":512,"Healthcheck":{"Test":["CMD","true"]},"ArgsEscaped":true,"Shell":["/bin/sh","-c"]'),
      manifest,
    ],
  },
  {
    rule: 'config-rootfs-type',
    invalid: [`{"architecture":"amd64","os":"linux","rootfs":{"type":⟦"Layers"⟧,"diff_ids":[]}}`, `{"architecture":"amd64","os":"linux","rootfs":{"type":⟦"foo"⟧,"diff_ids":[]}}`],
    valid: [cfg()],
  },
  {
    rule: 'config-diffid-format',
    invalid: [`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["${D}",⟦"sha256:${'A'.repeat(64)}"⟧,⟦"sha256:abc"⟧,⟦"nope"⟧]}}`],
    valid: [cfg(), `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha512:${'b'.repeat(128)}"]}}`],
  },
  {
    rule: 'config-created-format',
    invalid: [cfg('', '"created":⟦"2015-10-31 22:22:56"⟧,"history":[{"created":⟦"yesterday"⟧}],')],
    valid: [cfg('', '"created":"2015-10-31T22:22:56.015925234Z","history":[{"created":"0001-01-01T00:00:00Z"}],')],
  },
  {
    rule: 'config-env-format',
    message: 'VARNAME=VALUE',
    invalid: [cfg('"Env":[⟦"foo"⟧,"PATH=/bin",⟦"=x"⟧]')],
    valid: [cfg('"Env":["PATH=/usr/bin:/bin","EMPTY=","A=b=c"]')],
  },
  {
    rule: 'config-exposedports-format',
    invalid: [
      cfg('"ExposedPorts":{⟦"http"⟧:{},"80/tcp":⟦true⟧,⟦"70000/tcp"⟧:{}}'),
      cfg('"ExposedPorts":{⟦"1002-1000/tcp"⟧:{},⟦"0-10"⟧:{},⟦"1000-70000/udp"⟧:{},⟦"1000-/tcp"⟧:{},⟦"1-2-3"⟧:{}}'),
    ],
    valid: [
      cfg('"ExposedPorts":{"80/tcp":{},"53/udp":{},"8080":{},"9000/sctp":{}}'),
      // A range, as EXPOSE 1000-1002 and buildah config --port 1000-1002/tcp write it (issue 24).
      cfg('"ExposedPorts":{"1000-1002/tcp":{},"2000-2000/udp":{},"3000-3001":{},"1-65535/sctp":{}}'),
    ],
  },
  {
    rule: 'config-volumes-format',
    invalid: [cfg('"Volumes":{"/data":⟦"x"⟧}')],
    valid: [cfg('"Volumes":{"/data":{}}')],
  },
  {
    rule: 'config-labels',
    invalid: [cfg('"Labels":{"com.example.n":⟦1⟧,"com.example.s":"ok","com.example.o":⟦{}⟧}')],
    valid: [cfg('"Labels":{"com.example.s":"ok"}'), cfg('"Labels":null')],
  },
  {
    rule: 'config-reserved-docker-fields',
    invalid: [cfg('⟦"Healthcheck"⟧:{"Test":["CMD","true"]},⟦"Memory"⟧:0')],
    // A Docker-format config (what buildah commit --format docker writes): the fields are its own.
    valid: [cfg('"User":"app"'), cfg('"Healthcheck":null'), cfg('"Healthcheck":{"Test":["CMD","true"]}', '"container_config":{},')],
  },
  {
    rule: 'config-argsescaped-deprecated',
    invalid: [cfg('⟦"ArgsEscaped"⟧:true')],
    valid: [cfg()],
  },
]);

test('config rules do not fire on other kinds', () => {
  const configRuleIds = new Set(RULES.filter((r) => r.id.startsWith('config-')).map((r) => r.id));
  const weird = `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":{"mediaType":"${MT.ociConfig}","digest":"${D}","size":2,"Env":["foo"],"Labels":{"a":1}},"layers":[],"created":"yesterday","rootfs":7}`;
  assert.deepEqual(analyze(weird).findings.filter((f) => configRuleIds.has(f.ruleId)), []);
});

test('config-labels and config-rootfs-type fixes note the config digest', () => {
  const text = cfg('"Labels":{"com.example.n":1}');
  const [f] = findingsOf(text, 'config-labels');
  const e = f.fixes[0].edits[0];
  assert.equal(JSON.parse(text.slice(0, e.offset) + e.newText + text.slice(e.offset + e.length)).config.Labels['com.example.n'], '1');
  assert.match(f.fixes[0].title, /config digest/);
  const t2 = `{"architecture":"amd64","os":"linux","rootfs":{"type":"Layers","diff_ids":[]}}`;
  assert.equal(findingsOf(t2, 'config-rootfs-type')[0].fixes[0].edits[0].newText, '"layers"');
});
