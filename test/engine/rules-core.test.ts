import { ruleCases } from './ruleCases';

const D = 'sha256:' + 'a'.repeat(64);
const MT_M = '"application/vnd.oci.image.manifest.v1+json"';
const layer = (body: string) => `{"schemaVersion":2,"mediaType":${MT_M},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[${body}]}`;
const desc = (fields: string) => layer(`{${fields}}`);

ruleCases([
  {
    rule: 'json-duplicate-key',
    invalid: [`{"schemaVersion":2,"mediaType":${MT_M},⟦"mediaType"⟧:${MT_M},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`],
    valid: [layer('')],
  },
  {
    rule: 'ambiguous-manifest-fields',
    invalid: [
      `{"schemaVersion":2,"mediaType":${MT_M},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[],⟦"manifests"⟧:[]}`,
      '{⟦"config"⟧:{}, "manifests":[]}',
    ],
    valid: [layer(''), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}'],
  },
  {
    rule: 'schema-version-missing',
    invalid: [`⟦{⟧"mediaType":${MT_M},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`],
    valid: [layer(''), '{"name":"x","version":"1.0.0"}'],
  },
  {
    rule: 'schema-version-invalid',
    invalid: [`{"schemaVersion":⟦"2"⟧,"mediaType":${MT_M},"config":{},"layers":[]}`, '{"schemaVersion":⟦99999⟧,"name":"a/b","tag":"latest"}'],
    valid: [layer(''), '{"schemaVersion":1,"name":"a/b","tag":"t","fsLayers":[],"history":[]}'],
  },
  {
    rule: 'oci-media-type-missing',
    invalid: [`⟦{⟧"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`],
    valid: [layer('')],
  },
  {
    rule: 'docker-media-type-missing',
    invalid: [`⟦{⟧"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"${D}","size":2},"layers":[]}`],
    valid: [`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"${D}","size":2},"layers":[]}`],
  },
  {
    rule: 'media-type-wrong-for-shape',
    invalid: [
      `{"schemaVersion":2,"mediaType":⟦"application/vnd.oci.image.index.v1+json"⟧,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`,
      `{"schemaVersion":2,"mediaType":⟦"application/vnd.oci.image.manifest.v1+jsonXXX"⟧,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`,
      // moby detectManifestBlobMediaType: a v2s2 type on schema 1 fields.
      '{"schemaVersion":2,"mediaType":⟦"application/vnd.docker.distribution.manifest.v2+json"⟧,"fsLayers":[]}',
    ],
    valid: [
      layer(''), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
      '{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+json","name":"a/b","tag":"t","architecture":"amd64","fsLayers":[{"blobSum":"' + D + '"}],"history":[{"v1Compatibility":"{}"}]}',
    ],
  },
  {
    rule: 'content-type-media-type-mismatch',
    options: { contentType: 'application/vnd.docker.distribution.manifest.v2+json' },
    invalid: [`{"schemaVersion":2,"mediaType":⟦${MT_M}⟧,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`],
    valid: [`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"${D}","size":2},"layers":[]}`],
  },
  {
    rule: 'content-type-unrecognized',
    options: { contentType: 'text/plain' },
    invalid: [`⟦{⟧"schemaVersion":2,"mediaType":${MT_M},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":2},"layers":[]}`],
    valid: ['{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'],
  },
  {
    rule: 'descriptor-required-field',
    invalid: [layer(`⟦{⟧"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":1}`), `{"schemaVersion":2,"mediaType":${MT_M},⟦"config"⟧:{"digest":"${D}","size":2},"layers":[]}`, layer('').replace('"layers":[]', '"layers":[],"subject":⟦"nope"⟧')],
    valid: [desc(`"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${D}","size":1`)],
  },
  {
    rule: 'descriptor-media-type-syntax',
    invalid: [desc(`"mediaType":⟦"application/vnd.oci.image.layer.v1.tar+gzip; charset=x"⟧,"digest":"${D}","size":1`), desc(`"mediaType":⟦"foo"⟧,"digest":"${D}","size":1`)],
    valid: [desc(`"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${D}","size":1`)],
  },
  {
    rule: 'size-not-integer',
    invalid: [desc(`"mediaType":"a/b","digest":"${D}","size":⟦"1234"⟧`), desc(`"mediaType":"a/b","digest":"${D}","size":⟦12.5⟧`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":1234`)],
  },
  {
    rule: 'size-negative',
    invalid: [desc(`"mediaType":"a/b","digest":"${D}","size":⟦-7682⟧`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":0`)],
  },
  {
    rule: 'size-precision',
    invalid: [desc(`"mediaType":"a/b","digest":"${D}","size":⟦9007199254740993⟧`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":9007199254740991`)],
  },
  {
    rule: 'urls-invalid',
    invalid: [desc(`"mediaType":"a/b","digest":"${D}","size":1,"urls":[⟦"ftp://x/y"⟧,⟦"https://h/p#frag"⟧,⟦"value"⟧]`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":1,"urls":["https://example.com/layer"]`)],
  },
  {
    rule: 'data-not-base64',
    invalid: [desc(`"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":⟦"e30"⟧`)],
    valid: [desc(`"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="`)],
  },
  {
    rule: 'data-size-mismatch',
    invalid: [desc(`"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":⟦3⟧,"data":"e30="`)],
    valid: [desc(`"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="`)],
  },
  {
    rule: 'data-digest-mismatch',
    invalid: [desc(`"mediaType":"application/vnd.oci.empty.v1+json","digest":⟦"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"⟧,"size":2,"data":"e30="`)],
    valid: [desc(`"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="`)],
  },
  {
    rule: 'digest-grammar',
    invalid: [desc(`"mediaType":"a/b","digest":⟦"sha256-abc"⟧,"size":1`), desc(`"mediaType":"a/b","digest":⟦"sha256+foo+-b:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b"⟧,"size":1`)],
    valid: [desc(`"mediaType":"a/b","digest":"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564","size":1`)],
  },
  {
    rule: 'digest-sha256-encoding',
    invalid: [desc(`"mediaType":"a/b","digest":⟦"sha256:${'A'.repeat(64)}"⟧,"size":1`), desc(`"mediaType":"a/b","digest":⟦"sha256:6c3c"⟧,"size":1`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":1`)],
  },
  {
    rule: 'digest-sha512-encoding',
    invalid: [desc(`"mediaType":"a/b","digest":⟦"sha512:${'a'.repeat(64)}"⟧,"size":1`)],
    valid: [desc(`"mediaType":"a/b","digest":"sha512:${'a'.repeat(128)}","size":1`)],
  },
  {
    rule: 'digest-unregistered-algorithm',
    invalid: [desc(`"mediaType":"a/b","digest":⟦"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"⟧,"size":1`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":1`)],
  },
  {
    rule: 'digest-not-sha256',
    invalid: [desc(`"mediaType":"a/b","digest":⟦"sha512:${'a'.repeat(128)}"⟧,"size":1`)],
    valid: [desc(`"mediaType":"a/b","digest":"${D}","size":1`)],
  },
]);
