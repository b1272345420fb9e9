import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, ErrorCodes } from '../../../src/errors.js';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { MAX_CONFIG_BYTES, describeFsError } from '../../../src/config/read-config-file.js';
import { caught } from '../../support/caught.js';
import { TEST_OPTS, minimal, parse, problemsOf, yamlOf } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

const loadError = (file: string): ConfigError => caught(() => loadConfig(file, TEST_OPTS), ConfigError);

function sysError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('config/load', () => {
  let dir: string;

  beforeEach(() => {
    dir = tempDir('tvm-config-');
  });

  afterEach(() => {
    removeDir(dir);
  });

  it('loads a file and records its absolute path', () => {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, yamlOf(minimal()));
    const relative = path.relative(process.cwd(), file);
    const c = loadConfig(relative, TEST_OPTS);
    expect(c.sourceFile).to.equal(file);
    expect(c.vehicleId).to.equal('vehicle-001');
  });

  it('uses the process environment, home and CPU count when none are given', () => {
    const c = parseConfig(yamlOf(minimal()));
    expect(c.upload.workers).to.equal(Math.min(64, Math.max(1, os.availableParallelism() - 1)));
    expect(c.sourceFile).to.equal(null);
  });

  it('reports a missing file as one problem naming it', () => {
    const file = path.join(dir, 'nope.yaml');
    const err = loadError(file);
    expect(err.problems).to.deep.equal([`config file ${file} does not exist`]);
    expect(err.code).to.equal(ErrorCodes.CONFIG_INVALID);
    expect(err.retriable).to.equal(false);
    expect(err.message).to.equal(`invalid configuration in ${file}:\n  - config file ${file} does not exist`);
  });

  it('reports a directory given as the config file', () => {
    expect(loadError(dir).problems).to.deep.equal([`config file ${dir} is a directory, not a file`]);
  });

  it('reports a path whose parent is a file', () => {
    const parent = path.join(dir, 'plain');
    fs.writeFileSync(parent, 'x');
    const file = path.join(parent, 'config.yaml');
    expect(loadError(file).problems).to.deep.equal([`config file ${file} does not exist (a parent of it is not a directory)`]);
  });

  it('refuses a device or FIFO without opening it', () => {
    expect(loadError('/dev/null').problems).to.deep.equal(['config file /dev/null is not a regular file']);
  });

  it('refuses a file larger than 1 MiB', () => {
    const file = path.join(dir, 'huge.yaml');
    fs.writeFileSync(file, Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x23));
    expect(loadError(file).problems).to.deep.equal([
      `config file ${file} is ${MAX_CONFIG_BYTES + 1} bytes; a config file is at most ${MAX_CONFIG_BYTES}`,
    ]);
  });

  it('describes permission and other read errors', () => {
    expect(describeFsError('/x.yaml', sysError('EACCES'))).to.equal('config file /x.yaml is not readable (permission denied)');
    expect(describeFsError('/x.yaml', sysError('EPERM'))).to.equal('config file /x.yaml is not readable (permission denied)');
    expect(describeFsError('/x.yaml', sysError('EISDIR'))).to.equal('config file /x.yaml is a directory, not a file');
    expect(describeFsError('/x.yaml', sysError('EIO', 'EIO: i/o error'))).to.equal('config file /x.yaml could not be read: EIO: i/o error');
    expect(describeFsError('/x.yaml', 'odd')).to.equal('config file /x.yaml could not be read: odd');
  });

  it('reports a YAML syntax error as one line with line and column', () => {
    expect(problemsOf('vehicle_id: x\nupload: [1, 2\n')).to.deep.equal([
      'YAML syntax error at line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(problemsOf('a: 1\n  b: 2\n')).to.deep.equal([
      'YAML syntax error at line 1, column 4: Nested mappings are not allowed in compact mappings',
    ]);
  });

  it('reports duplicate keys, which YAML forbids and the reference silently merged, naming each key path', () => {
    expect(problemsOf('vehicle_id: a\nvehicle_id: b\n')).to.deep.equal(['vehicle_id: key appears twice (lines 1 and 2); keep one']);
    expect(problemsOf('s3:\n  bucket: a\n  bucket: b\nlog_directories:\n  - path: /x\n    path: /y\n')).to.deep.equal([
      's3.bucket: key appears twice (lines 2 and 3); keep one',
      'log_directories[0].path: key appears twice (lines 5 and 6); keep one',
    ]);
  });

  it('reports more than one YAML document', () => {
    expect(problemsOf('---\nvehicle_id: a\n---\nvehicle_id: b\n')).to.deep.equal([
      'YAML syntax error at line 3, column 1: the file holds more than one YAML document (---); keep only one',
    ]);
  });

  it('reports an unknown YAML tag instead of guessing', () => {
    expect(problemsOf('vehicle_id: !secret abc\n')).to.deep.equal([
      'YAML syntax error at line 1, column 13: Unresolved tag: !secret',
    ]);
  });

  it('reports an alias to an anchor that does not exist', () => {
    expect(problemsOf('vehicle_id: *nope\n')).to.deep.equal([
      'YAML error: Unresolved alias (the anchor must be set before the alias): nope',
    ]);
  });

  it('reports an empty document in one clear line', () => {
    const line = 'the configuration is empty: expected a mapping with vehicle_id, log_directories, s3, upload and disk';
    for (const text of ['', '   \n', '# only a comment\n', '---\n', 'null\n', '~\n']) {
      expect(problemsOf(text), JSON.stringify(text)).to.deep.equal([line]);
    }
  });

  it('rejects a document that is not a mapping', () => {
    expect(problemsOf('- a\n- b\n')).to.deep.equal(['(top level): ["a","b"] is not a mapping']);
    expect(problemsOf('just text\n')).to.deep.equal(['(top level): "just text" is not a mapping']);
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(parse(`\uFEFF${yamlOf(minimal())}`).vehicleId).to.equal('vehicle-001');
  });

  it('names the source file in the error heading when parsing text from a file', () => {
    try {
      parseConfig('vehicle_id: 5\n', { ...TEST_OPTS, sourceFile: '/etc/tvm-upload/config.yaml' });
      expect.fail('expected a ConfigError');
    } catch (err) {
      expect((err as ConfigError).message.split('\n')[0]).to.equal('invalid configuration in /etc/tvm-upload/config.yaml:');
      expect((err as ConfigError).details).to.deep.equal({ file: '/etc/tvm-upload/config.yaml' });
    }
  });

  it('returns a deep-frozen configuration', () => {
    const c = parse({});
    expect(Object.isFrozen(c)).to.equal(true);
    expect(Object.isFrozen(c.upload.retry)).to.equal(true);
    expect(Object.isFrozen(c.logDirectories)).to.equal(true);
    expect(Object.isFrozen(c.logDirectories[0])).to.equal(true);
    expect(Object.isFrozen(c.upload.compression.skipExtensions)).to.equal(true);
    expect(Object.isFrozen(c.warnings)).to.equal(true);
    expect(() => {
      (c.upload as { concurrency: number }).concurrency = 99;
    }).to.throw(TypeError);
    expect(() => {
      (c.logDirectories as unknown as string[]).push('x');
    }).to.throw(TypeError);
  });
});
