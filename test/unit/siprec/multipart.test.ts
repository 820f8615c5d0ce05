import assert from 'node:assert/strict';
import {
  contentTypeParam,
  extractOfferBodies,
  MultipartError,
  splitMultipart,
} from '../../../agent/src/siprec/index.js';
import { loadInvite } from './fixtures.js';

const isCode =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof MultipartError && e.code === code;

describe('siprec/multipart', function () {
  this.timeout(2000);

  it('splits an RFC 2046 body into parts with headers and exact bodies', () => {
    const body =
      '--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b1\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n<recording/>\r\n--b1--\r\n';
    const parts = splitMultipart('multipart/mixed;boundary=b1', Buffer.from(body));
    assert.equal(parts.length, 2);
    assert.equal(parts[0]?.contentType, 'application/sdp');
    assert.equal(
      parts[0]?.body.toString(),
      'v=0\r\n',
      'the CRLF before a delimiter belongs to the delimiter',
    );
    assert.equal(parts[1]?.disposition, 'recording-session');
    assert.equal(parts[1]?.body.toString(), '<recording/>');
  });

  it('accepts quoted boundaries, a preamble, LF line ends, and an epilogue', () => {
    const body = 'preamble text\n--"odd:b"\nContent-Type: text/plain\n\nhello\n--"odd:b"--\nepilogue';
    assert.equal(contentTypeParam('multipart/mixed; boundary="odd:b"', 'boundary'), 'odd:b');
    const parts = splitMultipart('multipart/mixed; boundary="odd:b"', body.replaceAll('"odd:b"', 'odd:b'));
    assert.equal(parts.length, 1);
    assert.equal(parts[0]?.body.toString(), 'hello');
  });

  it('keeps multi-byte UTF-8 bodies intact', () => {
    const parts = splitMultipart(
      'multipart/mixed;boundary=x',
      '--x\r\nContent-Type: text/plain\r\n\r\nMeikäläinen Avfallshämtning\r\n--x--',
    );
    assert.equal(parts[0]?.body.toString('utf8'), 'Meikäläinen Avfallshämtning');
  });

  it('a part without headers defaults to text/plain', () => {
    const parts = splitMultipart('multipart/mixed;boundary=x', '--x\r\n\r\nbare\r\n--x--');
    assert.equal(parts[0]?.contentType, 'text/plain');
    assert.equal(parts[0]?.body.toString(), 'bare');
  });

  it('does not take a boundary-looking string inside a line as a delimiter', () => {
    const parts = splitMultipart(
      'multipart/mixed;boundary=x',
      '--x\r\n\r\nsee --x here\r\n--xyz not a delimiter\r\n--x--',
    );
    assert.equal(parts.length, 1);
    assert.equal(parts[0]?.body.toString(), 'see --x here\r\n--xyz not a delimiter');
  });

  it('coded errors: no boundary parameter, no delimiter, header without colon', () => {
    assert.throws(() => splitMultipart('multipart/mixed', 'x'), isCode('CV_ERR_MULTIPART_NO_BOUNDARY'));
    assert.throws(
      () => splitMultipart('multipart/mixed;boundary=zz', 'no parts at all'),
      isCode('CV_ERR_MULTIPART_MALFORMED'),
    );
    assert.throws(
      () => splitMultipart('multipart/mixed;boundary=zz', '--zz\r\nbroken header\r\n\r\nbody\r\n--zz--'),
      isCode('CV_ERR_MULTIPART_MALFORMED'),
    );
  });

  it('refuses an absurd number of parts', () => {
    const body = `${Array.from({ length: 20 }, (_, i) => `--p\r\n\r\n${i}\r\n`).join('')}--p--`;
    assert.throws(
      () => splitMultipart('multipart/mixed;boundary=p', body),
      isCode('CV_ERR_MULTIPART_MALFORMED'),
    );
  });

  describe('extractOfferBodies on the fixtures', () => {
    it('Cisco CUBE: three parts, no closing delimiter, the application/gtd part counted as extra', () => {
      const inv = loadInvite('cisco-cube.sip');
      const b = extractOfferBodies(inv.headers.get('content-type'), inv.body);
      assert.match(b.sdp ?? '', /^v=0\r\n/);
      assert.match(b.metadata ?? '', /<\/recording>\r\n$/, 'the blank line before the delimiter is body');
      assert.equal(b.metadataContentType, 'application/rs-metadata+xml');
      assert.equal(b.extraParts, 1);
    });

    it('RFC 7866: legacy application/rs-metadata content type', () => {
      const inv = loadInvite('rfc7866-basic.sip');
      const b = extractOfferBodies(inv.headers.get('content-type'), inv.body);
      assert.equal(b.metadataContentType, 'application/rs-metadata');
      assert.match(b.metadata ?? '', /^<\?xml/);
    });

    it('BroadWorks: metadata before SDP, after a whitespace preamble', () => {
      const inv = loadInvite('mixed-stream.sip');
      const b = extractOfferBodies(inv.headers.get('content-type'), inv.body);
      assert.match(b.sdp ?? '', /^v=0/);
      assert.match(b.metadata ?? '', /^<\?xml/);
    });

    it('a bare SDP body (no metadata, plain INVITE)', () => {
      for (const name of ['no-metadata.sip', 'plain-invite-baresip.sip']) {
        const inv = loadInvite(name);
        const b = extractOfferBodies(inv.headers.get('content-type'), inv.body);
        assert.match(b.sdp ?? '', /^v=0/, name);
        assert.equal(b.metadata, null, name);
      }
    });

    it('a disposition of recording-session marks metadata whatever its type', () => {
      const b = extractOfferBodies(
        'multipart/mixed;boundary=q',
        '--q\r\nContent-Type: application/ +xml\r\nContent-Disposition: recording-session\r\n\r\n<recording/>\r\n--q--',
      );
      assert.equal(b.metadata, '<recording/>');
    });

    it('a bare metadata body (metadata-only update) and no body at all', () => {
      assert.equal(
        extractOfferBodies('application/rs-metadata+xml', '<recording/>').metadata,
        '<recording/>',
      );
      assert.deepEqual(extractOfferBodies(undefined, Buffer.alloc(0)), {
        sdp: null,
        metadata: null,
        metadataContentType: null,
        extraParts: 0,
      });
    });
  });
});
