// docs/iam-policy.json grants exactly what the code needs: the AWS SDK commands instantiated
// anywhere under src/ (scanned at run time, so new sinks are checked as they land) map to IAM
// actions, and that set must equal the set the policy allows: nothing missing (uploads would
// fail with AccessDenied in the field) and nothing extra (least privilege). The resources are
// checked against the code too: object keys live under <vehicle_id>/, alarms have fixed names.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildObjectKey } from '../../../src/sinks/s3/object-key.js';
import { lowUploadAlarmName, uploadFailuresAlarmName } from '../../../src/sinks/cloudwatch/alarms.js';
import { parseConfig } from '../../../src/config/load.js';
import { PROBE_FOLDER, probeKey } from '../../../src/doctor/s3-bucket.js';
import type { DoctorContext } from '../../../src/doctor/step.js';
import * as s3Sdk from '@aws-sdk/client-s3';
import * as cloudWatchSdk from '@aws-sdk/client-cloudwatch';
import { IAM_ACTIONS, requiredActions, scanSource, scanTree } from './sdk-commands.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function policy(): Statement[] {
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/iam-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
  expect(doc.Version).to.equal('2012-10-17');
  return doc.Statement;
}

function granted(statements: Statement[]): Set<string> {
  return new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)));
}

function statementFor(statements: Statement[], action: string): Statement {
  const found = statements.filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action));
  expect(found, `exactly one statement grants ${action}`).to.have.length(1);
  return found[0]!;
}

describe('docs/iam-policy.json', () => {
  const scan = scanTree(path.join(ROOT, 'src'));

  it('finds the SDK commands the uploader cannot work without', () => {
    // Guards the scanner itself: if it silently found nothing, every other check would pass.
    const names = new Set(scan.commands.map((c) => c.name));
    for (const n of ['PutObjectCommand', 'HeadObjectCommand', 'UploadPartCommand', 'ListObjectsV2Command']) {
      expect(names, `scanner did not find ${n} in src/`).to.include(n);
    }
  });

  it('knows the IAM action of every SDK command the code instantiates', () => {
    expect(() => requiredActions(scan.commands)).to.not.throw();
  });

  it('sends operations only through commands (no aggregated S3/CloudWatch clients)', () => {
    const where = scan.aggregated.map((a) => `${a.name} in ${a.file}`);
    expect(where, 'use client.send(new XxxCommand(...)) so this check can see the operation').to.deep.equal([]);
  });

  it('grants every action the code needs and nothing else', () => {
    const needed = [...requiredActions(scan.commands)].sort();
    const allowed = [...granted(policy())].sort();
    const missing = needed.filter((a) => !allowed.includes(a));
    const extra = allowed.filter((a) => !needed.includes(a));
    expect(missing, `the code needs these but the policy does not grant them: ${missing.join(', ')}`).to.deep.equal([]);
    expect(extra, `the policy grants these but no code uses them: ${extra.join(', ')}`).to.deep.equal([]);
  });

  it('uses no wildcard actions and no Deny or NotAction tricks', () => {
    for (const s of policy()) {
      expect(s.Effect, s.Sid).to.equal('Allow');
      expect(Object.keys(s)).to.not.include.members(['NotAction', 'NotResource', 'Principal']);
      for (const a of list(s.Action)) expect(a, s.Sid).to.not.include('*');
    }
  });

  it('limits object actions to the vehicle prefix the object keys use', () => {
    const statements = policy();
    const key = buildObjectKey({ vehicleId: 'VEHICLE_ID', source: 'ros', relPath: 'run-1/launch.log', mtimeMs: 0, codec: 'gzip', timeZone: 'UTC' });
    expect(key.startsWith('VEHICLE_ID/')).to.equal(true);
    for (const action of ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']) {
      if (!granted(statements).has(action)) continue;
      expect(list(statementFor(statements, action).Resource), action).to.deep.equal(['arn:aws:s3:::BUCKET/VEHICLE_ID/*']);
    }
  });

  it('lets a vehicle delete only the probe objects doctor writes, never its logs', () => {
    const key = probeKey({ config: { vehicleId: 'VEHICLE_ID' }, nonce: 'n' } as DoctorContext, 'write');
    expect(key.startsWith(`VEHICLE_ID/${PROBE_FOLDER}/`)).to.equal(true);
    expect(list(statementFor(policy(), 's3:DeleteObject').Resource)).to.deep.equal([`arn:aws:s3:::BUCKET/VEHICLE_ID/${PROBE_FOLDER}/*`]);
  });

  it('limits bucket actions to the bucket', () => {
    const statements = policy();
    for (const action of ['s3:ListBucket', 's3:ListBucketMultipartUploads']) {
      if (!granted(statements).has(action)) continue;
      expect(list(statementFor(statements, action).Resource), action).to.deep.equal(['arn:aws:s3:::BUCKET']);
    }
  });

  it('lets the vehicle list only its own prefix (s3:ListBucket with an s3:prefix condition), which the probe and the object keys use', () => {
    const s = statementFor(policy(), 's3:ListBucket');
    expect(list(s.Action), 'no other action shares the condition').to.deep.equal(['s3:ListBucket']);
    expect(s.Condition).to.deep.equal({ StringLike: { 's3:prefix': ['VEHICLE_ID/', 'VEHICLE_ID/*'] } });
    const key = buildObjectKey({ vehicleId: 'VEHICLE_ID', source: 'ros', relPath: 'a.log', mtimeMs: 0, codec: 'gzip', timeZone: 'UTC' });
    const glob = (pattern: string): RegExp => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    expect(list(s.Condition!.StringLike!['s3:prefix']!).some((p) => glob(p).test(key))).to.equal(true);
    const probe = fs.readFileSync(path.join(ROOT, 'src/cli/check-config.ts'), 'utf8');
    expect(probe, 'check-config probes under the vehicle prefix').to.include('prefix: `${config.vehicleId}/`');
  });

  it('allows metrics only in the default namespace', () => {
    const config = parseConfig(
      ['vehicle_id: v', 'log_directories: [{path: /logs, source: s}]', 's3: {bucket: bucket-name, region: us-east-1}',
        'upload: {schedule: "02:00"}', 'disk: {reserved_gb: 1}'].join('\n'),
    );
    const s = statementFor(policy(), 'cloudwatch:PutMetricData');
    expect(s.Condition).to.deep.equal({ StringEquals: { 'cloudwatch:namespace': config.monitoring.namespace } });
  });

  it('lets a vehicle create only its own alarms', () => {
    const s = statementFor(policy(), 'cloudwatch:PutMetricAlarm');
    const arn = (name: string): string => `arn:aws:cloudwatch:REGION:ACCOUNT_ID:alarm:${name}`;
    expect(list(s.Resource).sort()).to.deep.equal([arn(lowUploadAlarmName('VEHICLE_ID')), arn(uploadFailuresAlarmName('VEHICLE_ID'))].sort());
  });

  describe('the command scanner', () => {
    it('fails an unknown command with instructions', () => {
      const r = scanSource('x.ts', "import { DeleteBucketCommand } from '@aws-sdk/client-s3';\nawait c.send(new DeleteBucketCommand({}));");
      expect(() => requiredActions(r.commands)).to.throw(/DeleteBucketCommand.*add it to the table and the policy/);
    });

    it('follows aliases, multi-line imports and namespace imports', () => {
      const text = [
        'import {',
        '  PutObjectCommand as Put,',
        '  type HeadObjectCommandOutput,',
        "} from '@aws-sdk/client-s3';",
        "import * as cw from '@aws-sdk/client-cloudwatch';",
        'new Put({}); new cw.PutMetricDataCommand({});',
      ].join('\n');
      expect(scanSource('x.ts', text).commands.map((c) => c.name)).to.deep.equal(['PutObjectCommand', 'PutMetricDataCommand']);
    });

    it('ignores imported commands that are never instantiated, type-only imports and clients', () => {
      const text = [
        "import type { GetObjectCommand } from '@aws-sdk/client-s3';",
        "import { S3Client, ListPartsCommand } from '@aws-sdk/client-s3';",
        'const c = new S3Client({}); let x: ListPartsCommand | undefined;',
      ].join('\n');
      expect(scanSource('x.ts', text).commands).to.deep.equal([]);
    });

    it('ignores classes that do not come from the AWS SDK', () => {
      const text = "import { Command } from 'commander';\nimport { RunCommand } from './run.js';\nnew Command('x'); new RunCommand();";
      expect(scanSource('x.ts', text).commands).to.deep.equal([]);
    });

    it('reports aggregated clients', () => {
      const r = scanSource('x.ts', "import { S3 } from '@aws-sdk/client-s3';\nconst s3 = new S3({});");
      expect(r.aggregated.map((a) => a.name)).to.deep.equal(['S3']);
    });

    it('lists only commands the SDK packages the daemon depends on actually export', () => {
      // A row for a class nothing can import (e.g. a removed dependency's) is a stale claim.
      const exported = { ...s3Sdk, ...cloudWatchSdk } as Record<string, unknown>;
      const stale = Object.keys(IAM_ACTIONS).filter((name) => typeof exported[name] !== 'function');
      expect(stale, 'rows in IAM_ACTIONS that no @aws-sdk client exports').to.deep.equal([]);
    });

    it('maps every table entry to IAM actions of the right service', () => {
      for (const [name, actions] of Object.entries(IAM_ACTIONS)) {
        expect(actions.length, name).to.be.greaterThan(0);
        for (const a of actions) expect(a, name).to.match(/^(s3|cloudwatch):[A-Z][A-Za-z]+$/);
      }
    });
  });
});
