import { expect } from 'chai';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { alarmDefinitions, ensureAlarms } from '../../../../src/sinks/cloudwatch/alarms.js';
import { probeCloudWatch } from '../../../../src/sinks/cloudwatch/healthcheck.js';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { caught } from '../../../support/caught.js';
import { netError, serviceError, useCloudWatchMock } from './helpers.js';

const base = { vehicleId: 'vehicle-7', namespace: 'TVM/Upload' };

describe('cloudwatch/alarms', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let client: CloudWatchClient;

  useCloudWatchMock((m) => ({ cw, client } = m));

  it('defines TVM-LowUpload-<vehicle_id> exactly like the reference, treating missing data as breaching', () => {
    expect(alarmDefinitions(base)).to.deep.equal([
      {
        AlarmName: 'TVM-LowUpload-vehicle-7',
        AlarmDescription: 'Vehicle vehicle-7 uploaded less than 100 MB per day for 3 days',
        ActionsEnabled: false,
        MetricName: 'BytesUploaded',
        Namespace: 'TVM/Upload',
        Statistic: 'Sum',
        Dimensions: [{ Name: 'VehicleId', Value: 'vehicle-7' }],
        Period: 86400,
        EvaluationPeriods: 3,
        Threshold: 100 * 1024 * 1024,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      },
    ]);
  });

  it('adds TVM-UploadFailures-<vehicle_id> (Sum ≥ N within one hour) only when asked', () => {
    const defs = alarmDefinitions({ ...base, lowUploadThresholdMb: 250, evaluationPeriods: 2, uploadFailuresThreshold: 7 });
    expect(defs[0]).to.include({ Threshold: 250 * 1024 * 1024, EvaluationPeriods: 2 });
    expect(defs[1]).to.deep.equal({
      AlarmName: 'TVM-UploadFailures-vehicle-7',
      AlarmDescription: 'Vehicle vehicle-7 had 7 or more failed upload attempts within one hour',
      ActionsEnabled: false,
      MetricName: 'FailureCount',
      Namespace: 'TVM/Upload',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'VehicleId', Value: 'vehicle-7' }],
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 7,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('adds TVM-Backlog-<vehicle_id> on the maximum OldestPendingAgeSeconds when a threshold in hours is given', () => {
    const defs = alarmDefinitions({ ...base, backlogThresholdHours: 24 });
    expect(defs.map((d) => d.AlarmName)).to.deep.equal(['TVM-LowUpload-vehicle-7', 'TVM-Backlog-vehicle-7']);
    expect(defs[1]).to.deep.equal({
      AlarmName: 'TVM-Backlog-vehicle-7',
      AlarmDescription: 'Vehicle vehicle-7 has a file waiting for upload for more than 24 hours',
      ActionsEnabled: false,
      MetricName: 'OldestPendingAgeSeconds',
      Namespace: 'TVM/Upload',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'VehicleId', Value: 'vehicle-7' }],
      Period: 900,
      EvaluationPeriods: 1,
      Threshold: 24 * 3600,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    });
  });

  it('rejects nonsensical thresholds as a programming error', () => {
    for (const bad of [{ lowUploadThresholdMb: 0 }, { lowUploadThresholdMb: Number.NaN }, { evaluationPeriods: 1.5 }, { uploadFailuresThreshold: 0 }, { backlogThresholdHours: 0 }]) {
      expect(() => alarmDefinitions({ ...base, ...bad }), JSON.stringify(bad)).to.throw(TvmError, /alarm options/);
    }
  });

  it('creates the alarms that do not exist and leaves existing ones alone', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'TVM-LowUpload-vehicle-7' }] });
    cw.on(PutMetricAlarmCommand).resolves({});
    const r = await ensureAlarms(client, { ...base, uploadFailuresThreshold: 5 });
    expect(r).to.deep.equal({ created: ['TVM-UploadFailures-vehicle-7'], existing: ['TVM-LowUpload-vehicle-7'] });
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).to.deep.equal({
      AlarmNames: ['TVM-LowUpload-vehicle-7', 'TVM-UploadFailures-vehicle-7'],
      AlarmTypes: ['MetricAlarm'],
    });
    expect(cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.AlarmName)).to.deep.equal(['TVM-UploadFailures-vehicle-7']);
  });

  it('is idempotent: a second run creates nothing', async () => {
    const existing = new Set<string>();
    cw.on(DescribeAlarmsCommand).callsFake(() => ({ MetricAlarms: [...existing].map((AlarmName) => ({ AlarmName })) }));
    cw.on(PutMetricAlarmCommand).callsFake((input: { AlarmName: string }) => {
      existing.add(input.AlarmName);
      return {};
    });
    expect((await ensureAlarms(client, base)).created).to.deep.equal(['TVM-LowUpload-vehicle-7']);
    expect(await ensureAlarms(client, base)).to.deep.equal({ created: [], existing: ['TVM-LowUpload-vehicle-7'] });
    expect(cw.commandCalls(PutMetricAlarmCommand)).to.have.length(1);
  });

  it('overwrites (PutMetricAlarm upsert) without asking first when told to', async () => {
    cw.on(PutMetricAlarmCommand).resolves({});
    const r = await ensureAlarms(client, { ...base, overwrite: true });
    expect(r.created).to.deep.equal(['TVM-LowUpload-vehicle-7']);
    expect(cw.commandCalls(DescribeAlarmsCommand)).to.have.length(0);
  });

  it('overwrites only the existing alarms it is given by name, and creates missing ones', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'TVM-LowUpload-vehicle-7' }, { AlarmName: 'TVM-Backlog-vehicle-7' }] });
    cw.on(PutMetricAlarmCommand).resolves({});
    const r = await ensureAlarms(client, { ...base, uploadFailuresThreshold: 5, backlogThresholdHours: 2, overwrite: ['TVM-Backlog-vehicle-7'] });
    expect(r).to.deep.equal({ created: ['TVM-UploadFailures-vehicle-7', 'TVM-Backlog-vehicle-7'], existing: ['TVM-LowUpload-vehicle-7'] });
    expect(cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.AlarmName)).to.deep.equal(['TVM-UploadFailures-vehicle-7', 'TVM-Backlog-vehicle-7']);
  });

  it('reports failures as classified CloudWatch errors naming the operation', async () => {
    cw.on(DescribeAlarmsCommand).rejects(serviceError('AccessDenied', 403));
    const denied = await caught(ensureAlarms(client, base));
    expect(denied).to.include({ code: ErrorCodes.CLOUDWATCH, retriability: 'operator' });
    expect(denied.message).to.match(/^DescribeAlarms: /);

    cw.reset();
    cw.on(DescribeAlarmsCommand).resolves({});
    cw.on(PutMetricAlarmCommand).rejects(serviceError('LimitExceeded', 400));
    const limited = await caught(ensureAlarms(client, base));
    expect(limited).to.include({ code: ErrorCodes.CLOUDWATCH, retriability: 'retriable' });
    expect(limited.message).to.match(/^PutMetricAlarm: /);
  });

  describe('healthcheck', () => {
    it('says which of the vehicle alarms exist', async () => {
      cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'TVM-LowUpload-vehicle-7' }, {}] });
      expect(await probeCloudWatch(client, 'vehicle-7')).to.deep.equal({
        ok: true,
        alarms: ['TVM-LowUpload-vehicle-7'],
        missingAlarms: ['TVM-UploadFailures-vehicle-7'],
      });
      cw.on(DescribeAlarmsCommand).resolves({});
      expect(await probeCloudWatch(client, 'vehicle-7')).to.deep.include({ ok: true, alarms: [] });
    });

    it('explains an unreachable endpoint or bad credentials', async () => {
      cw.on(DescribeAlarmsCommand).rejects(netError('ECONNREFUSED'));
      const r = await probeCloudWatch(client, 'vehicle-7', { where: 'http://127.0.0.1:9' });
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      expect(r.error.retriability).to.equal('retriable');
      expect(r.error.details).to.include({ endpoint: 'http://127.0.0.1:9', operation: 'DescribeAlarms' });
      cw.on(DescribeAlarmsCommand).rejects(serviceError('InvalidClientTokenId', 403));
      const bad = await probeCloudWatch(client, 'vehicle-7');
      expect(bad.ok === false && bad.error.retriability).to.equal('operator');
    });
  });
});
