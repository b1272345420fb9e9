import { expect } from 'chai';
import { FileFilter } from '../../../src/pipeline/file-filter.js';
import type { LogDirectory } from '../../../src/config/types.js';

function dir(path: string, source: string, extra: Partial<LogDirectory> = {}): LogDirectory {
  return { path, source, recursive: true, pattern: null, allowDeletion: true, legacy: false, ...extra };
}

describe('priority/rules', () => {
  const filter = new FileFilter([
    dir('/logs/ros', 'ros'),
    dir('/logs/events', 'events', {
      priority: 'low',
      priorityPatterns: [
        { pattern: '*.incident', priority: 'high' },
        { pattern: 'disengage*', priority: 'high' },
        { pattern: '*', priority: 'normal' },
      ],
    }),
    dir('/logs/debug', 'debug', { priority: 'low' }),
    null,
  ]);

  it('queues a directory without priority keys as normal', () => {
    expect(filter.priorityOf(0, '/logs/ros/a.log')).to.equal(1);
  });

  it('uses the directory priority when no pattern matches', () => {
    expect(filter.priorityOf(2, '/logs/debug/trace.log')).to.equal(2);
  });

  it('takes the first matching priority pattern on the basename', () => {
    expect(filter.priorityOf(1, '/logs/events/run/2026.incident')).to.equal(0);
    expect(filter.priorityOf(1, '/logs/events/disengage-17.json')).to.equal(0);
    expect(filter.priorityOf(1, '/logs/events/other.log')).to.equal(1);
  });

  it('answers normal for an empty slot or unknown index', () => {
    expect(filter.priorityOf(3, '/x')).to.equal(1);
    expect(filter.priorityOf(9, '/x')).to.equal(1);
  });
});
