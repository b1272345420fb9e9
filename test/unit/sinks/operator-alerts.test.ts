import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { OperatorAlerts } from '../../../src/sinks/operator-alerts.js';

class CaptureLogger {
  readonly errors: Array<[Record<string, unknown>, string]> = [];
  readonly infos: Array<[Record<string, unknown>, string]> = [];
  error(obj: Record<string, unknown>, msg: string): void {
    this.errors.push([obj, msg]);
  }
  info(obj: Record<string, unknown>, msg: string): void {
    this.infos.push([obj, msg]);
  }
}

const noBucket = (): TvmError =>
  new TvmError(ErrorCodes.S3_NO_SUCH_BUCKET, 'bucket "b" does not exist', {
    retriability: 'operator',
    details: { bucket: 'b' },
    hint: 'create the bucket',
  });
const denied = (): TvmError => new TvmError(ErrorCodes.S3_ACCESS_DENIED, 'denied', { retriability: 'operator' });

describe('sinks/OperatorAlerts', () => {
  it('logs an operator-class error once, with its hint, however often it recurs', () => {
    const log = new CaptureLogger();
    const alerts = new OperatorAlerts(log as never);
    expect(alerts.report(noBucket())).to.equal(true);
    for (let i = 0; i < 50; i++) expect(alerts.report(noBucket())).to.equal(false);
    expect(log.errors).to.have.length(1);
    expect(log.errors[0]![0]).to.include({ code: ErrorCodes.S3_NO_SUCH_BUCKET, hint: 'create the bucket', bucket: 'b' });
    expect(log.errors[0]![1]).to.include('does not exist');
  });

  it('logs each distinct operator code once', () => {
    const log = new CaptureLogger();
    const alerts = new OperatorAlerts(log as never);
    alerts.report(noBucket());
    alerts.report(denied());
    alerts.report(denied());
    expect(log.errors.map(([o]) => o.code)).to.deep.equal([ErrorCodes.S3_NO_SUCH_BUCKET, ErrorCodes.S3_ACCESS_DENIED]);
    expect(alerts.activeCodes()).to.deep.equal([ErrorCodes.S3_NO_SUCH_BUCKET, ErrorCodes.S3_ACCESS_DENIED]);
  });

  it('ignores retriable and permanent errors (they are logged per file by the caller)', () => {
    const log = new CaptureLogger();
    const alerts = new OperatorAlerts(log as never);
    expect(alerts.report(new TvmError(ErrorCodes.S3_TRANSIENT, 't'))).to.equal(false);
    expect(alerts.report(new TvmError(ErrorCodes.S3_TOO_LARGE, 'p', { retriability: 'permanent' }))).to.equal(false);
    expect(log.errors).to.have.length(0);
    expect(alerts.activeCodes()).to.deep.equal([]);
  });

  it('logs the error again after a success cleared it, and says it was resolved', () => {
    const log = new CaptureLogger();
    const alerts = new OperatorAlerts(log as never);
    alerts.report(noBucket());
    alerts.report(noBucket());
    alerts.resolve();
    expect(log.infos).to.have.length(1);
    expect(log.infos[0]![0]).to.include({ code: ErrorCodes.S3_NO_SUCH_BUCKET, occurrences: 2 });
    expect(alerts.report(noBucket())).to.equal(true);
    expect(log.errors).to.have.length(2);
  });

  it('offers the upload pipeline failure()/success() with the same once-per-code behaviour', () => {
    const log = new CaptureLogger();
    const alerts = new OperatorAlerts(log as never);
    alerts.failure(noBucket());
    alerts.failure(noBucket());
    alerts.failure(new TvmError(ErrorCodes.S3_TRANSIENT, 't'));
    expect(log.errors).to.have.length(1);
    alerts.success();
    expect(alerts.activeCodes()).to.deep.equal([]);
    expect(log.infos).to.have.length(1);
  });

  it('says nothing on success when nothing was alerting', () => {
    const log = new CaptureLogger();
    new OperatorAlerts(log as never).resolve();
    expect(log.infos).to.have.length(0);
  });
});
