// Keeps docs/CONFIGURATION.md honest: its complete example must load, use every section, and
// the key tables must mention every key the example uses.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parse } from './helpers.js';

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/CONFIGURATION.md');

function example(): string {
  const doc = fs.readFileSync(DOC, 'utf8');
  const section = doc.slice(doc.indexOf('## Complete example'));
  const match = /```yaml\n([\s\S]*?)```/.exec(section);
  if (match === null) expect.fail('no yaml block after "## Complete example"');
  return match[1]!;
}

function leafKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafKeys(v, prefix === '' ? k : `${prefix}.${k}`));
}

describe('docs/CONFIGURATION.md', () => {
  it('has a complete example that loads without warnings', () => {
    const c = parse(example());
    expect(c.vehicleId).to.equal('vehicle-CN-001');
    expect(c.logDirectories.map((d) => d.source)).to.deep.equal(['terminal', 'ros', 'syslog', 'ros2']);
    expect(c.s3).to.include({ serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/tvm-logs', storageClass: 'STANDARD_IA' });
    expect(c.upload.bandwidth.maxBytesPerSecond).to.equal(2_500_000);
    expect(c.warnings).to.deep.equal([]);
  });

  it('documents every key the complete example uses', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    const data = parseYaml(example()) as Record<string, unknown>;
    const keys = new Set<string>();
    for (const key of leafKeys(data)) for (const part of key.split('.')) keys.add(part);
    for (const d of data.log_directories as Record<string, unknown>[]) for (const k of Object.keys(d)) keys.add(k);
    for (const key of keys) expect(new RegExp(`[\`.]${key}[\`.\\s]`).test(doc), key).to.equal(true);
  });
});
