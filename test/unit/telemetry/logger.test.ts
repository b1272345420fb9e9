import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger, normaliseLevel } from '../../../src/telemetry/logger.js';

describe('telemetry/logger', () => {
  afterEach(() => sinon.restore());

  /** What the logger wrote to stdout while `fn` ran. */
  function stdout(fn: () => void): string[] {
    const lines: string[] = [];
    sinon.stub(process.stdout, 'write').callsFake((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      fn();
    } finally {
      sinon.restore();
    }
    return lines;
  }

  it('prints one human line per record on a terminal: time, level, message, then key=value', () => {
    const lines = stdout(() => createLogger({ pretty: true, level: 'info' }).warn({ path: '/logs/a.log', attempts: 3 }, 'cannot read'));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d WARN {2}cannot read path="\/logs\/a\.log" attempts=3\n$/);
  });

  it('prints a record without fields or message as just its time and level', () => {
    const lines = stdout(() => createLogger({ pretty: true }).info({}));
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d INFO {2}\n$/);
  });

  it('respects the level in the human format too', () => {
    expect(stdout(() => createLogger({ pretty: true, level: 'warn' }).info('hidden'))).to.deep.equal([]);
  });

  it('keeps credentials out of the human format', () => {
    const lines = stdout(() => createLogger({ pretty: true }).info({ secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, 'config'));
    expect(lines.join('')).not.to.include('wJalrXUtnFEMI');
  });

  it('writes JSON lines to a given destination, never the human format', () => {
    const lines: string[] = [];
    createLogger({ destination: { write: (l: string) => void lines.push(l) } }).info({ k: 'v' }, 'hello');
    expect(JSON.parse(lines[0]!)).to.deep.include({ level: 'info', msg: 'hello', k: 'v' });
  });

  it('maps the reference\'s level names and refuses unknown ones', () => {
    expect(normaliseLevel(' WARNING ')).to.equal('warn');
    expect(normaliseLevel('DEBUG')).to.equal('debug');
    expect(normaliseLevel('LOUD')).to.equal(null);
  });
});
