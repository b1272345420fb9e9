import { expect } from 'chai';
import { bucketNameRule, isLoopbackHost, namespaceRule, parseListen } from '../../../src/config/s3-names.js';

describe('config/s3-names', () => {
  it('accepts bucket names that follow the S3 rules', () => {
    for (const ok of ['abc', 't01logs', 'tvm-logs-production', 'my.bucket.1', 'a'.repeat(63)]) {
      expect(bucketNameRule(ok), ok).to.equal(null);
    }
  });

  it('names the S3 bucket rule a name breaks', () => {
    const cases: [string, string][] = [
      ['ab', 'is not a valid bucket name (3 to 63 characters)'],
      ['a'.repeat(64), 'is not a valid bucket name (3 to 63 characters)'],
      ['My_Bucket', 'is not a valid bucket name (only lower-case letters, digits, "." and "-")'],
      ['${BUCKET}', 'is not a valid bucket name (only lower-case letters, digits, "." and "-"; environment variables are not expanded here)'],
      ['-abc', 'is not a valid bucket name (must begin and end with a letter or digit)'],
      ['abc.', 'is not a valid bucket name (must begin and end with a letter or digit)'],
      ['a..b', 'is not a valid bucket name (two adjacent dots)'],
      ['192.168.1.10', 'is not a valid bucket name (formatted as an IP address)'],
      ['xn--abc', 'is not a valid bucket name (reserved prefix "xn--")'],
      ['sthree-abc', 'is not a valid bucket name (reserved prefix "sthree-")'],
      ['logs-s3alias', 'is not a valid bucket name (reserved suffix "-s3alias")'],
      ['logs--ol-s3', 'is not a valid bucket name (reserved suffix "--ol-s3")'],
    ];
    for (const [name, rule] of cases) expect(bucketNameRule(name), name).to.equal(rule);
  });

  it('checks CloudWatch namespaces', () => {
    expect(namespaceRule('TVM/Upload')).to.equal(null);
    expect(namespaceRule('')).to.equal('is not a valid CloudWatch namespace (1 to 255 characters)');
    expect(namespaceRule('x'.repeat(256))).to.equal('is not a valid CloudWatch namespace (1 to 255 characters)');
    expect(namespaceRule('TVM/Ü')).to.equal('is not a valid CloudWatch namespace (printable ASCII only)');
    expect(namespaceRule(':x')).to.equal('is not a valid CloudWatch namespace (must not start with ":")');
    expect(namespaceRule('AWS/S3')).to.equal('is not a valid CloudWatch namespace ("AWS/" is reserved for AWS services)');
  });

  it('parses host:port and [ipv6]:port listen addresses', () => {
    expect(parseListen('127.0.0.1:9464')).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('localhost:0')).to.deep.equal({ host: 'localhost', port: 0 });
    expect(parseListen('[::1]:9464')).to.deep.equal({ host: '::1', port: 9464 });
    expect(parseListen('metrics.local:80')).to.deep.equal({ host: 'metrics.local', port: 80 });
  });

  it('rejects malformed listen addresses', () => {
    for (const bad of ['localhost', ':9464', '127.0.0.1:', 'host:70000', 'host:port', '[zz]:1', '[1234]:1', '-bad-:1', 'a b:1', '::1:9464']) {
      expect(parseListen(bad), bad).to.equal(null);
    }
  });

  it('recognises loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).to.equal(true);
    expect(isLoopbackHost('127.1.2.3')).to.equal(true);
    expect(isLoopbackHost('localhost')).to.equal(true);
    expect(isLoopbackHost('::1')).to.equal(true);
    expect(isLoopbackHost('0.0.0.0')).to.equal(false);
    expect(isLoopbackHost('10.0.0.1')).to.equal(false);
  });
});
