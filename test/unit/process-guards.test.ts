import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { ErrorCodes, TvmError } from '../../src/errors.js';
import { EXIT_SOFTWARE, installProcessGuards, isFatal, setGuardLogger } from '../../src/process-guards.js';

describe('process-guards', () => {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  let proc: EventEmitter;
  let exits: number[];
  let remove: () => void;

  beforeEach(() => {
    lines.length = 0;
    exits = [];
    proc = new EventEmitter();
    setGuardLogger({
      error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
      fatal: (obj, msg) => lines.push({ level: 'fatal', obj: obj as Record<string, unknown>, msg }),
    });
    remove = installProcessGuards(proc, (c) => exits.push(c));
  });
  afterEach(() => {
    remove();
    setGuardLogger(null);
  });

  it('logs an unhandled rejection with its error and keeps the process running', () => {
    const err = new Error('SQLITE_BUSY: database is locked');
    proc.emit('unhandledRejection', err);
    expect(exits).to.deep.equal([]);
    expect(lines[0]).to.deep.include({ level: 'error' });
    expect(lines[0]!.obj).to.include({ err, event: 'unhandledRejection' });
    expect(lines[0]!.msg).to.include('SQLITE_BUSY').and.include('keeps running');
  });

  it('survives an uncaught retriable catalog error, logging it', () => {
    proc.emit('uncaughtException', new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'disk full', { retriability: 'retriable' }), 'uncaughtException');
    expect(exits).to.deep.equal([]);
    expect(lines[0]!.msg).to.include('TVM_ERR_STATE_UNAVAILABLE: disk full');
  });

  it('exits non-zero after logging any other uncaught exception, so systemd restarts the daemon', () => {
    proc.emit('uncaughtException', new TypeError("Cannot read properties of undefined (reading 'id')"), 'uncaughtException');
    expect(exits).to.deep.equal([EXIT_SOFTWARE]);
    expect(lines[0]).to.deep.include({ level: 'fatal' });
    expect(lines[0]!.msg).to.include('TypeError').and.include(`exiting with ${EXIT_SOFTWARE}`);
  });

  it('treats permanent catalog errors and non-errors as fatal', () => {
    expect(isFatal(new TvmError(ErrorCodes.INTERNAL, 'x', { retriability: 'permanent' }))).to.equal(true);
    expect(isFatal('a string')).to.equal(true);
    expect(isFatal(new TvmError(ErrorCodes.DISK_FULL, 'x', { retriability: 'operator' }))).to.equal(false);
  });

  it('writes JSON lines to stderr (journald) before the daemon has a logger', () => {
    setGuardLogger(null);
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      proc.emit('unhandledRejection', new Error('lost'));
      proc.emit('uncaughtException', new RangeError('broken'), 'uncaughtException');
    } finally {
      process.stderr.write = original;
    }
    const parsed = written.map((l) => JSON.parse(l) as { level: string; msg: string; err: { type: string; stack: string } });
    expect(parsed.map((p) => [p.level, p.err.type])).to.deep.equal([['error', 'Error'], ['fatal', 'RangeError']]);
    expect(parsed[1]!.err.stack).to.include('RangeError: broken');
    expect(exits).to.deep.equal([EXIT_SOFTWARE]);
  });

  it('removes its handlers', () => {
    remove();
    expect(proc.listenerCount('unhandledRejection') + proc.listenerCount('uncaughtException')).to.equal(0);
    remove = () => undefined;
  });
});
