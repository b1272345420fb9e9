/**
 * Durable progress of multipart uploads, so a restart resumes at the next missing part instead of
 * re-sending the whole object (the reference re-sent everything and leaked the incomplete upload).
 * One row per file (the upload id, key, part size, what is being uploaded and the source hash it
 * was started from) plus one row per completed part. Rows die with their file row (cascade) and
 * are dropped when the upload completes (FileRepo.markUploaded). Deciding whether a resume is
 * still valid, and aborting orphans on S3, is the uploader's job.
 */
import type Database from 'better-sqlite3';
import { guarded } from './sqlite-errors.js';
import type { CompletedPart, MultipartProgress, ResumeProof } from './types.js';

type Header = Omit<MultipartProgress, 'parts'>;
type HeaderRow = Omit<Header, 'proof'> & ResumeProof;

const HEADER = `file_id AS fileId, upload_id AS uploadId, object_key AS objectKey, part_size AS partSize,
  upload_path AS uploadPath, source_sha256 AS sourceSha256, created_at AS createdAt, codec,
  codec_level AS codecLevel, codec_version AS codecVersion, output_sha256 AS outputSha256`;

export class MultipartRepo {
  private readonly s;
  private readonly beginTx: (p: Header) => void;

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
  ) {
    const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
    this.s = {
      del: p('DELETE FROM multipart WHERE file_id = ?'),
      insert: p(`INSERT INTO multipart (file_id, upload_id, object_key, part_size, upload_path, source_sha256, created_at,
                 codec, codec_level, codec_version, output_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      part: p(`INSERT INTO multipart_parts (file_id, part_number, etag, size) VALUES (?, ?, ?, ?)
               ON CONFLICT (file_id, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size`),
      header: p<HeaderRow>(`SELECT ${HEADER} FROM multipart WHERE file_id = ?`),
      parts: p<CompletedPart>(`SELECT part_number AS partNumber, etag, size FROM multipart_parts
                               WHERE file_id = ? ORDER BY part_number`),
      all: p<HeaderRow>(`SELECT ${HEADER} FROM multipart ORDER BY created_at, file_id`),
      older: p<HeaderRow>(`SELECT ${HEADER} FROM multipart WHERE created_at < ? ORDER BY created_at, file_id`),
    };
    // A new upload for a file replaces any earlier one, parts included (cascade).
    this.beginTx = db.transaction((h: Header) => {
      this.s.del.run(h.fileId);
      const { codec, codecLevel, codecVersion, outputSha256 } = h.proof;
      this.s.insert.run(h.fileId, h.uploadId, h.objectKey, h.partSize, h.uploadPath, h.sourceSha256, h.createdAt, codec, codecLevel, codecVersion, outputSha256);
    });
  }

  begin(progress: Header): void {
    this.guard(() => this.beginTx(progress));
  }

  /** Records (or re-records, after a retried part) one completed part. */
  recordPart(fileId: number, part: CompletedPart): void {
    this.guard(() => this.s.part.run(fileId, part.partNumber, part.etag, part.size));
  }

  get(fileId: number): MultipartProgress | null {
    return this.guard(() => {
      const h = this.s.header.get(fileId);
      return h === undefined ? null : this.withParts(h);
    });
  }

  delete(fileId: number): void {
    this.guard(() => this.s.del.run(fileId));
  }

  /** Every upload in progress (bounded by concurrency in practice), for orphan cleanup. */
  listAll(): MultipartProgress[] {
    return this.guard(() => this.s.all.all().map((h) => this.withParts(h)));
  }

  /** Uploads started before cutoffMs (epoch ms). */
  olderThan(cutoffMs: number): MultipartProgress[] {
    return this.guard(() => this.s.older.all(cutoffMs).map((h) => this.withParts(h)));
  }

  private withParts(row: HeaderRow): MultipartProgress {
    const { codec, codecLevel, codecVersion, outputSha256, ...h } = row;
    return { ...h, proof: { codec, codecLevel, codecVersion, outputSha256 }, parts: this.s.parts.all(h.fileId) };
  }

  private guard<T>(fn: () => T): T {
    return guarded(this.db, this.dbPath, fn);
  }
}
