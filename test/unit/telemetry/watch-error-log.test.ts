import { expect } from 'chai';
import { ErrorCodes } from '../../../src/errors.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { capturingLogger } from '../state/helpers.js';

describe('telemetry of a directory that cannot be watched', () => {
  it('logs an error naming the directory, the cause and TVM_ERR_WATCH_DIR', () => {
    const { logger, lines } = capturingLogger();
    new Telemetry(logger).emit({ type: 'watch.error', dir: '/logs/ros', message: 'EACCES: permission denied' });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 'error', dir: '/logs/ros', code: ErrorCodes.WATCH_DIR, msg: 'cannot watch directory: EACCES: permission denied' });
  });
});
