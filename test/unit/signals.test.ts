import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { SignalRequests, type EarlySignals } from '../../src/signals.js';

function setup() {
  const source = new EventEmitter();
  const exits: number[] = [];
  const signals = new SignalRequests(source, (code) => exits.push(code));
  return { source, exits, signals };
}

describe('signals', () => {
  it('listens for every signal the daemon answers to, so none keeps its default action', () => {
    const { source, signals } = setup();
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) expect(source.listenerCount(s), s).to.equal(1);
    signals.dispose();
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) expect(source.listenerCount(s), s).to.equal(0);
  });

  it('keeps requests that arrive before a consumer and delivers them when it attaches', () => {
    const { source, signals } = setup();
    source.emit('SIGUSR1');
    source.emit('SIGHUP');
    expect(signals.pending('upload')).to.equal(1);
    const got: string[] = [];
    signals.handle('upload', (s) => got.push(s));
    expect(got).to.deep.equal(['SIGUSR1']);
    expect(signals.pending('upload')).to.equal(0);
    expect(signals.pending('reload')).to.equal(1);
    source.emit('SIGUSR1');
    expect(got).to.deep.equal(['SIGUSR1', 'SIGUSR1']);
  });

  it('remembers one request of a kind however many are sent', () => {
    const { source, signals } = setup();
    for (let i = 0; i < 50; i++) source.emit('SIGUSR1');
    expect(signals.pending('upload')).to.equal(1);
  });

  it('exits with 128 + signal number on a stop nobody consumes, and hands stops to a consumer', () => {
    const { source, exits, signals } = setup();
    source.emit('SIGTERM');
    source.emit('SIGINT');
    expect(exits).to.deep.equal([143, 130]);
    const got: string[] = [];
    signals.handle('stop', (s) => got.push(s));
    source.emit('SIGTERM');
    expect(got).to.deep.equal(['SIGTERM']);
    expect(exits).to.have.length(2);
    signals.release('stop');
    source.emit('SIGINT');
    expect(exits).to.deep.equal([143, 130, 130]);
  });

  it('takes over from the placeholder listeners of bin/ and replays what they saw', () => {
    const source = new EventEmitter();
    const early: EarlySignals = { received: ['SIGUSR1', 'SIGHUP'], listeners: {} };
    for (const s of ['SIGHUP', 'SIGUSR1']) {
      early.listeners[s] = () => early.received.push(s);
      source.on(s, early.listeners[s]!);
    }
    const signals = new SignalRequests(source, () => undefined);
    signals.adopt(early);
    signals.adopt(undefined);
    expect(source.listenerCount('SIGUSR1')).to.equal(1);
    expect(early.received).to.deep.equal([]);
    expect(signals.pending('upload')).to.equal(1);
    expect(signals.pending('reload')).to.equal(1);
  });

  it('ignores a signal it does not know', () => {
    const { source, signals, exits } = setup();
    signals.handle('stop', () => undefined);
    (signals as unknown as { receive(s: string): void }).receive('SIGWINCH');
    source.emit('SIGWINCH');
    expect(exits).to.deep.equal([]);
  });
});
