import { expect } from 'chai';
import { expandPath, expandVariables, type ExpandContext } from '../../../src/config/expand-env.js';

const ctx: ExpandContext = { env: { HOME: '/home/tester', LOGS: '/data/logs', EMPTY: '', A_1: 'x' }, homedir: '/home/tester' };

function value(r: ReturnType<typeof expandVariables>): string {
  if (!r.ok) expect.fail(r.problems.join('; '));
  return r.value;
}

function problems(r: ReturnType<typeof expandVariables>): string[] {
  if (r.ok) expect.fail(`expected problems, got ${r.value}`);
  return r.problems;
}

describe('config/expand-env', () => {
  it('expands $VAR and ${VAR} from the given environment', () => {
    expect(value(expandVariables('$LOGS/ros', ctx))).to.equal('/data/logs/ros');
    expect(value(expandVariables('${LOGS}/ros', ctx))).to.equal('/data/logs/ros');
    expect(value(expandVariables('/a/${A_1}b/$A_1', ctx))).to.equal('/a/xb/x');
  });

  it('expands ~ only as the whole value or before the first slash', () => {
    expect(value(expandVariables('~', ctx))).to.equal('/home/tester');
    expect(value(expandVariables('~/.ros/log', ctx))).to.equal('/home/tester/.ros/log');
    expect(value(expandVariables('/data/~/x', ctx))).to.equal('/data/~/x');
  });

  it('does not expand ~ when tilde expansion is off (URLs)', () => {
    expect(value(expandVariables('~/x', ctx, false))).to.equal('~/x');
  });

  it('rejects ~user, which the daemon cannot resolve', () => {
    expect(problems(expandVariables('~bob/logs', ctx))).to.deep.equal([
      '"~bob/logs" starts with ~user, which is not supported (only ~ or ~/ for the daemon\'s home)',
    ]);
  });

  it('reads $$ as a literal dollar and leaves a lone $ alone', () => {
    expect(value(expandVariables('/a/$$LOGS', ctx))).to.equal('/a/$LOGS');
    expect(value(expandVariables('/a/$/b$', ctx))).to.equal('/a/$/b$');
    expect(value(expandVariables('/a/$1', ctx))).to.equal('/a/$1');
  });

  it('reports every undefined variable, as written', () => {
    expect(problems(expandVariables('$FOO/${BAR}/x', ctx))).to.deep.equal([
      'undefined environment variable $FOO in "$FOO/${BAR}/x"',
      'undefined environment variable ${BAR} in "$FOO/${BAR}/x"',
    ]);
  });

  it('accepts a variable that is defined but empty', () => {
    expect(value(expandVariables('/a$EMPTY/b', ctx))).to.equal('/a/b');
  });

  it('rejects malformed ${...} references', () => {
    for (const raw of ['/a/${LOGS', '/a/${}', '/a/${1X}', '/a/${LOGS:-/x}']) {
      expect(problems(expandVariables(raw, ctx)), raw).to.deep.equal([
        `${JSON.stringify(raw)} has a malformed \${…} reference (write \${NAME} with letters, digits and _, or $$ for a literal $)`,
      ]);
    }
  });

  it('normalises an absolute path: trailing slashes, doubled separators, . and ..', () => {
    expect(value(expandPath('/data//logs/./ros/../ros2/', ctx, null))).to.equal('/data/logs/ros2');
    expect(value(expandPath('~/', ctx, null))).to.equal('/home/tester');
  });

  it('resolves a relative path against the base directory when there is one', () => {
    expect(value(expandPath('./var/demo', ctx, '/etc/tvm'))).to.equal('/etc/tvm/var/demo');
    expect(value(expandPath('logs/', ctx, '/etc/tvm'))).to.equal('/etc/tvm/logs');
  });

  it('rejects a relative path when there is no base directory', () => {
    expect(problems(expandPath('logs', ctx, null))).to.deep.equal([
      '"logs" is not an absolute path (relative paths are only allowed in a config file, relative to its directory)',
    ]);
  });

  it('rejects a path that is empty after expansion or contains NUL', () => {
    expect(problems(expandPath('$EMPTY', ctx, '/etc'))).to.deep.equal(['"$EMPTY" is empty after expansion']);
    expect(problems(expandPath('/a\0b', ctx, null))).to.deep.equal(['"/a\\u0000b" contains a NUL character']);
  });

  it('passes expansion problems through expandPath', () => {
    expect(problems(expandPath('$NOPE/x', ctx, '/etc'))).to.deep.equal(['undefined environment variable $NOPE in "$NOPE/x"']);
  });
});
