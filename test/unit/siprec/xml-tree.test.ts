import assert from 'node:assert/strict';
import { MetadataError, METADATA_MAX_BYTES } from '../../../agent/src/siprec/index.js';
import { decodeXmlText, namespaceOf, parseXmlTree } from '../../../agent/src/siprec/xml-tree.js';

const isCode =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof MetadataError && e.code === code;

describe('siprec/xml-tree', function () {
  this.timeout(2000);

  it('builds a tree with local lower-cased names and resolves the root namespace', () => {
    const root = parseXmlTree(
      '<tns:Recording xmlns:tns="urn:x"><tns:dataMode>complete</tns:dataMode><p xml:lang="en" ID="7"/></tns:Recording>',
    );
    assert.equal(root.name, 'recording');
    assert.equal(namespaceOf(root), 'urn:x');
    assert.deepEqual(
      root.children.map((c) => c.name),
      ['datamode', 'p'],
    );
    assert.equal(root.children[0]?.text, 'complete');
    assert.deepEqual(root.children[1]?.attrs, { lang: 'en', id: '7' });
  });

  it('decodes only predefined entities and character references', () => {
    assert.equal(
      decodeXmlText('&lt;sip:a@b&gt; &amp; &quot;x&quot; &#228;&#xE4; &nbsp; &lol9;'),
      '<sip:a@b> & "x" ää &nbsp; &lol9;',
    );
    const root = parseXmlTree('<a>&lt;b&gt;</a>');
    assert.equal(root.text, '<b>');
  });

  it('refuses DTDs and entity declarations before parsing, fast', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY a${i + 1} "${`&a${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><r>&a9;</r>`;
    const started = process.hrtime.bigint();
    assert.throws(() => parseXmlTree(laughs), isCode('CV_ERR_METADATA_DTD_FORBIDDEN'));
    assert.ok(process.hrtime.bigint() - started < 50_000_000n, 'refused in under 50 ms');
    assert.throws(
      () => parseXmlTree('<!doctype r SYSTEM "file:///etc/passwd"><r/>'),
      isCode('CV_ERR_METADATA_DTD_FORBIDDEN'),
    );
  });

  it('refuses bodies over the size limit without parsing them', () => {
    const big = `<r>${'x'.repeat(METADATA_MAX_BYTES)}</r>`;
    assert.throws(
      () => parseXmlTree(big),
      (e: unknown) =>
        isCode('CV_ERR_METADATA_TOO_LARGE')(e) && (e as MetadataError).context['size'] === big.length,
    );
    assert.doesNotThrow(() => parseXmlTree(`<r>${'x'.repeat(1000)}</r>`));
  });

  it('reports malformed XML with its line', () => {
    assert.throws(
      () => parseXmlTree('<a>\n<b>\n</a>'),
      (e: unknown) =>
        isCode('CV_ERR_METADATA_MALFORMED')(e) && typeof (e as MetadataError).context['line'] === 'number',
    );
    assert.throws(() => parseXmlTree('not xml at all'), isCode('CV_ERR_METADATA_MALFORMED'));
    assert.throws(() => parseXmlTree(''), isCode('CV_ERR_METADATA_MALFORMED'));
  });

  it('refuses absurd nesting', () => {
    const deep = `${'<a>'.repeat(200)}${'</a>'.repeat(200)}`;
    assert.throws(() => parseXmlTree(deep), isCode('CV_ERR_METADATA_MALFORMED'));
  });
});
