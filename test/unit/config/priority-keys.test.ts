import { expect } from 'chai';
import { parse, problemsOf } from './helpers.js';

describe('config: log_directories[].priority and priority_patterns', () => {
  it('leaves both keys out of the resolved entry when they are not written', () => {
    const [d] = parse({}).logDirectories;
    expect(d).to.not.have.property('priority');
    expect(d).to.not.have.property('priorityPatterns');
  });

  it('keeps priority and priority_patterns as written, in order', () => {
    const [d] = parse({
      log_directories: [{
        path: '/logs/ros', source: 'ros', priority: 'low',
        priority_patterns: [{ pattern: '*.incident', priority: 'high' }, { pattern: '*.log', priority: 'normal' }],
      }],
    }).logDirectories;
    expect(d).to.deep.include({
      priority: 'low',
      priorityPatterns: [{ pattern: '*.incident', priority: 'high' }, { pattern: '*.log', priority: 'normal' }],
    });
  });

  it('names the key and the allowed levels for an unknown priority', () => {
    const problems = problemsOf({ log_directories: [{ path: '/logs/ros', source: 'ros', priority: 'urgent' }] });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.contain('log_directories[0].priority').and.contain('high');
  });

  it('names the pattern entry that lacks a priority or has an empty pattern', () => {
    const problems = problemsOf({
      log_directories: [{ path: '/logs/ros', source: 'ros', priority_patterns: [{ pattern: '*.x' }, { pattern: '', priority: 'high' }] }],
    });
    expect(problems.join('\n')).to.contain('log_directories[0].priority_patterns[0].priority')
      .and.contain('log_directories[0].priority_patterns[1].pattern');
  });
});
