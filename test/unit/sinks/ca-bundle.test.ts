import { expect } from 'chai';
import { join } from 'node:path';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { readCaBundle } from '../../../src/sinks/ca-bundle.js';
import { tempDir, writeFile } from './fixtures.js';

describe('sinks/ca-bundle', () => {
  const t = tempDir();
  after(() => t.cleanup());

  it('loads the PEM file AWS_CA_BUNDLE names, as the AWS CLI does', () => {
    const pem = writeFile(t.dir, 'corp-ca.pem', Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'));
    expect(readCaBundle({ AWS_CA_BUNDLE: pem })?.toString()).to.match(/^-----BEGIN CERTIFICATE-----/);
    expect(readCaBundle({ AWS_CA_BUNDLE: `  ${pem}\n` }), 'surrounding blanks ignored').to.not.equal(undefined);
  });

  it('loads nothing when the variable is unset or blank', () => {
    expect(readCaBundle({})).to.equal(undefined);
    expect(readCaBundle({ AWS_CA_BUNDLE: '  ' })).to.equal(undefined);
  });

  it('refuses a bundle it cannot read with one message naming the variable and the file', () => {
    const path = join(t.dir, 'missing.pem');
    let e: unknown;
    try {
      readCaBundle({ AWS_CA_BUNDLE: path });
    } catch (err) {
      e = err;
    }
    expect(e).to.be.instanceOf(TvmError);
    const te = e as TvmError;
    expect([te.code, te.retriability]).to.deep.equal([ErrorCodes.CONFIG_INVALID, 'permanent']);
    expect(te.message).to.equal(`AWS_CA_BUNDLE points to ${path}, which cannot be read`);
    expect(te.hint).to.equal('fix or unset the AWS_CA_BUNDLE environment variable');
    expect(te.details).to.deep.equal({ path });
  });
});
