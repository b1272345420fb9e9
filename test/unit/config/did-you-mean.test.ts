import { expect } from 'chai';
import { didYouMean, levenshtein } from '../../../src/config/did-you-mean.js';

describe('config/did-you-mean', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('', '')).to.equal(0);
    expect(levenshtein('abc', '')).to.equal(3);
    expect(levenshtein('', 'abc')).to.equal(3);
    expect(levenshtein('kitten', 'sitting')).to.equal(3);
    expect(levenshtein('stabel', 'stable')).to.equal(2);
    expect(levenshtein('same', 'same')).to.equal(0);
  });

  it('suggests the closest key within two edits', () => {
    const known = ['file_stable_seconds', 'schedule', 'queue_file'];
    expect(didYouMean('file_stabel_seconds', known)).to.equal('file_stable_seconds');
    expect(didYouMean('shedule', known)).to.equal('schedule');
    expect(didYouMean('Schedule', known)).to.equal('schedule');
  });

  it('prefers the smallest distance when several keys are close', () => {
    expect(didYouMean('start', ['starts', 'stat', 'end'])).to.equal('starts');
  });

  it('falls back to a key that starts or ends with the typed one, or that it starts with', () => {
    expect(didYouMean('vehicle', ['vehicle_id', 's3'])).to.equal('vehicle_id');
    expect(didYouMean('time', ['mode', 'daily_time'])).to.equal('daily_time');
    expect(didYouMean('endpoint_url', ['endpoint', 'bucket'])).to.equal('endpoint');
  });

  it('suggests nothing for unrelated or very short keys', () => {
    expect(didYouMean('banana', ['vehicle_id', 's3', 'upload'])).to.equal(null);
    expect(didYouMean('zz', ['vehicle_id', 'upload'])).to.equal(null);
  });
});
