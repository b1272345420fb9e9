import { expect } from 'chai';
import { formatPath, renderValue } from '../../../src/config/issues.js';

describe('config/issues', () => {
  it('writes key paths with dots and list indexes in brackets', () => {
    expect(formatPath(['upload', 'schedule', 'daily_time'])).to.equal('upload.schedule.daily_time');
    expect(formatPath(['log_directories', 2, 'path'])).to.equal('log_directories[2].path');
    expect(formatPath([])).to.equal('(top level)');
  });

  it('quotes keys that are not plain words', () => {
    expect(formatPath(['s3', 'odd key'])).to.equal('s3["odd key"]');
    expect(formatPath(['a.b'])).to.equal('["a.b"]');
  });

  it('renders received values as JSON', () => {
    expect(renderValue('25:00')).to.equal('"25:00"');
    expect(renderValue(5)).to.equal('5');
    expect(renderValue(true)).to.equal('true');
    expect(renderValue(null)).to.equal('null');
    expect(renderValue([1, 'a'])).to.equal('[1,"a"]');
  });

  it('shows non-finite numbers by name rather than as JSON null', () => {
    expect(renderValue(Infinity)).to.equal('Infinity');
    expect(renderValue(Number.NaN)).to.equal('NaN');
  });

  it('cuts long values to about 60 characters', () => {
    const text = renderValue('x'.repeat(100));
    expect(text).to.have.length(60);
    expect(text.endsWith('...')).to.equal(true);
  });

  it('falls back to String() for values JSON cannot encode', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(renderValue(circular)).to.equal('[object Object]');
    expect(renderValue(undefined)).to.equal('undefined');
  });
});
