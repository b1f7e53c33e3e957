/** rules.md §13: Docker v2 schema 2 / manifest list specifics and schema 1. */
import { MT } from '../../server/src/engine/mediaTypes';
import { ruleCases } from './ruleCases';

const D = 'sha256:' + 'a'.repeat(64);
const id = (c: string) => c.repeat(64);
const v2s2 = (layer: string) => `{"schemaVersion":2,"mediaType":"${MT.dockerManifest}","config":{"mediaType":"${MT.dockerConfig}","digest":"${D}","size":2},"layers":[${layer}]}`;
const layer = (mt: string, extra = '') => `{"mediaType":"${mt}","digest":"${D}","size":3${extra}}`;
const list = (entries: string) => `{"schemaVersion":2,"mediaType":"${MT.dockerList}","manifests":[${entries}]}`;
const entry = (mt: string, platform = ',"platform":{"architecture":"amd64","os":"linux"}') => `{"mediaType":"${mt}","digest":"${D}","size":7${platform}}`;

/** A v1Compatibility string for layer `i` with parent `p` (both single hex characters, repeated). */
const v1 = (i: string, p?: string) => JSON.stringify(JSON.stringify({ id: id(i), ...(p ? { parent: id(p) } : {}), created: '2016-01-01T00:00:00Z' }));
/** A schema 1 manifest: top-level `extra`, fsLayers and history raw. */
const s1 = (fsLayers: string, history: string, extra = '') => `{"schemaVersion":1,"name":"library/app","tag":"latest","architecture":"amd64",${extra}"fsLayers":${fsLayers},"history":${history}}`;
const fs = (n: number) => `[${Array.from({ length: n }, () => `{"blobSum":"${D}"}`).join(',')}]`;
const hist = (...v: string[]) => `[${v.map((x) => `{"v1Compatibility":${x}}`).join(',')}]`;
const good = s1(fs(2), hist(v1('b', 'a'), v1('a')));

ruleCases([
  {
    rule: 'docker-foreign-layer-missing-urls',
    invalid: [
      v2s2(`{"mediaType":⟦"${MT.dockerForeignLayer}"⟧,"digest":"${D}","size":3}`),
      v2s2(`{"mediaType":⟦"${MT.dockerForeignLayer}"⟧,"digest":"${D}","size":3,"urls":[]}`),
      v2s2(`{"mediaType":⟦"${MT.dockerForeignLayerTar}"⟧,"digest":"${D}","size":3}`),
    ],
    valid: [v2s2(layer(MT.dockerForeignLayer, ',"urls":["https://example.com/layer.tar.gz"]')), v2s2(layer(MT.dockerLayerGzip))],
  },
  {
    rule: 'docker-list-entry-platform-missing',
    invalid: [list(`{"mediaType":⟦"${MT.dockerManifest}"⟧,"digest":"${D}","size":7}`), list(`⟦{⟧"digest":"${D}","size":7}`)],
    valid: [list(entry(MT.dockerManifest))],
  },
  {
    rule: 'docker-list-entry-media-type',
    invalid: [list(`{"mediaType":⟦"${MT.schema1Signed}"⟧,"digest":"${D}","size":7,"platform":{"architecture":"amd64","os":"linux"}}`), list(`{"mediaType":⟦"${MT.dockerList}"⟧,"digest":"${D}","size":7}`)],
    valid: [list(entry(MT.dockerManifest)), list(entry(MT.ociManifest)), list(entry('invalid'))],
  },
  {
    rule: 'schema1-deprecated',
    invalid: [good.replace('"schemaVersion":1', '"schemaVersion":⟦1⟧'), `{"schemaVersion":1,"mediaType":⟦"${MT.schema1}"⟧,"fsLayers":${fs(1)},"history":${hist(v1('a'))}}`],
    valid: [v2s2(layer(MT.dockerLayerGzip))],
  },
  {
    rule: 'schema1-no-layers',
    invalid: [s1('⟦[]⟧', '[]'), '⟦{⟧"schemaVersion":1,"name":"a/b","tag":"t"}'],
    valid: [good],
  },
  {
    rule: 'schema1-history-length',
    message: 'length of history not equal to number of layers',
    invalid: [`{"schemaVersion":1,"name":"a/b","tag":"t","fsLayers":${fs(2)},⟦"history"⟧:${hist(v1('a'))}}`],
    valid: [good, s1('[]', '[]')],
  },
  {
    rule: 'schema1-blobsum',
    invalid: [s1(`[{"blobSum":⟦"sha256:abc"⟧},⟦{}⟧]`, hist(v1('b', 'a'), v1('a')))],
    valid: [good],
  },
  {
    rule: 'schema1-v1compat-invalid',
    invalid: [
      s1(fs(1), '[{"v1Compatibility":⟦"{not json"⟧}]'),
      s1(fs(1), `[{"v1Compatibility":⟦${JSON.stringify(JSON.stringify({ id: 'nope' }))}⟧}]`),
      s1(fs(1), `[{"v1Compatibility":⟦${v1('a', 'f')}⟧}]`),
      s1(fs(2), `[{"v1Compatibility":⟦${v1('b', 'c')}⟧},{"v1Compatibility":${v1('a')}}]`),
      s1(fs(3), `[{"v1Compatibility":${v1('a', 'b')}},{"v1Compatibility":${v1('b', 'a')}},{"v1Compatibility":⟦${v1('a')}⟧}]`),
    ],
    valid: [good, s1(fs(3), hist(v1('b', 'a'), v1('b', 'a'), v1('a')))],
  },
  {
    rule: 'schema1-signature-info',
    invalid: [s1(fs(2), hist(v1('b', 'a'), v1('a')), '⟦"signatures"⟧:[{"header":{"alg":"ES256"},"signature":"x","protected":"y"}],'), s1(fs(2), hist(v1('b', 'a'), v1('a')), '"signatures":⟦1⟧,')],
    valid: [good],
  },
]);
