import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import {
  etagIsMd5, etagMatchesMd5, md5Base64ToHex, multipartEtag, normalizeEtag, verifyMultipartEtag, verifySingleEtag,
} from '../../../../src/sinks/s3/etag.js';
import { md5b64, seededBytes } from '../fixtures.js';

describe('sinks/s3/etag', () => {
  const a = seededBytes(1000, 1);
  const b = seededBytes(500, 2);

  it('normalises quotes, weak prefixes and case', () => {
    expect(normalizeEtag('"ABCdef"')).to.equal('abcdef');
    expect(normalizeEtag('W/"abc"')).to.equal('abc');
    expect(normalizeEtag(' abc ')).to.equal('abc');
  });

  it('converts a Content-MD5 value to the hex ETag form', () => {
    expect(md5Base64ToHex('1B2M2Y8AsgTpgAmY7PhCfg==')).to.equal('d41d8cd98f00b204e9800998ecf8427e');
    expect(etagMatchesMd5('"d41d8cd98f00b204e9800998ecf8427e"', '1B2M2Y8AsgTpgAmY7PhCfg==')).to.equal(true);
    expect(etagMatchesMd5('"d41d8cd98f00b204e9800998ecf8427e-2"', '1B2M2Y8AsgTpgAmY7PhCfg==')).to.equal(false);
  });

  it('treats an ETag as an MD5 only without SSE-KMS/DSSE or SSE-C in the answer', () => {
    expect(etagIsMd5({})).to.equal(true);
    expect(etagIsMd5({ ServerSideEncryption: 'AES256' })).to.equal(true);
    expect(etagIsMd5({ ServerSideEncryption: 'aws:kms' })).to.equal(false);
    expect(etagIsMd5({ ServerSideEncryption: 'aws:kms:dsse' })).to.equal(false);
    expect(etagIsMd5({ SSECustomerAlgorithm: 'AES256' })).to.equal(false);
  });

  it('computes the S3 multipart ETag from part MD5s (md5 of the binary MD5s, dash, count)', () => {
    const etag = multipartEtag([md5b64(a), md5b64(b)]);
    expect(etag).to.match(/^[0-9a-f]{32}-2$/);
    expect(etag).to.equal(multipartEtag([md5b64(a), md5b64(b)]));
    expect(etag).not.to.equal(multipartEtag([md5b64(b), md5b64(a)]));
  });

  it('accepts a single-request ETag equal to our MD5, or one that is not an MD5 (SSE-KMS)', () => {
    expect(() => verifySingleEtag(`"${md5Base64ToHex(md5b64(a))}"`, md5b64(a), 'x', {})).not.to.throw();
    expect(() => verifySingleEtag('"kms-opaque-etag"', md5b64(a), 'x', {})).not.to.throw();
  });

  it('rejects a single-request ETag that proves other bytes with S3_INTEGRITY (retriable)', () => {
    try {
      verifySingleEtag(`"${md5Base64ToHex(md5b64(b))}"`, md5b64(a), 's3://b/k', { bucket: 'b', key: 'k' });
      expect.fail('no error');
    } catch (err) {
      expect(err).to.be.instanceOf(TvmError);
      const e = err as TvmError;
      expect(e.code).to.equal(ErrorCodes.S3_INTEGRITY);
      expect(e.retriable).to.equal(true);
      expect(e.message).to.include('s3://b/k');
      expect(e.details).to.include({ bucket: 'b', key: 'k' });
    }
  });

  it('checks a completed multipart ETag in both the S3 form and the whole-object MD5 form', () => {
    const parts = [md5b64(a), md5b64(b)];
    const whole = md5b64(Buffer.concat([a, b]));
    expect(() => verifyMultipartEtag(`"${multipartEtag(parts)}"`, parts, whole, 'x', {})).not.to.throw();
    expect(() => verifyMultipartEtag(`"${md5Base64ToHex(whole)}"`, parts, whole, 'x', {})).not.to.throw();
    expect(() => verifyMultipartEtag('"opaque"', parts, whole, 'x', {})).not.to.throw();
    expect(() => verifyMultipartEtag(`"${multipartEtag([parts[1]!, parts[0]!])}"`, parts, whole, 'x', {})).to.throw(TvmError, /different bytes/);
    expect(() => verifyMultipartEtag(`"${md5Base64ToHex(parts[0]!)}"`, parts, whole, 'x', {})).to.throw(TvmError, /different bytes/);
  });
});
