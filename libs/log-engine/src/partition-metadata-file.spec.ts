import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './log-manager.test-util.js';
import { encodePartitionMetadata, ensurePartitionMetadata, parsePartitionMetadata, PARTITION_METADATA_FILE, readPartitionMetadata } from './partition-metadata-file.js';

describe('partition.metadata', () => {
  // Byte for byte what Kafka's PartitionMetadata.encode() writes.
  const KAFKA_TEXT = 'version: 0\ntopic_id: fwwcYlo3So6aVQ-fimwMAQ';

  it("encodes Kafka's format and parses it back", () => {
    expect(encodePartitionMetadata('fwwcYlo3So6aVQ-fimwMAQ')).toBe(KAFKA_TEXT);
    expect(parsePartitionMetadata(KAFKA_TEXT, 'f')).toBe('fwwcYlo3So6aVQ-fimwMAQ');
    // As Kafka's reader: more whitespace after ':', a trailing newline, a later version.
    expect(parsePartitionMetadata('version:  3\ntopic_id:   fwwcYlo3So6aVQ-fimwMAQ\n', 'f')).toBe('fwwcYlo3So6aVQ-fimwMAQ');
  });

  it.each([
    ['empty', ''],
    ['no topic_id line', 'version: 0'],
    ['version not a number', 'version: x\ntopic_id: fwwcYlo3So6aVQ-fimwMAQ'],
    ['topic_id not a uuid', 'version: 0\ntopic_id: 7f0c1c62-5a37-4a8e-9a55-0f9f8a6c0c01'],
    ['zero uuid', 'version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA'],
    ['no space after colon', 'version:0\ntopic_id: fwwcYlo3So6aVQ-fimwMAQ'],
  ])('refuses %s with KAFKA_STORAGE_ERROR naming the file', (_name, text) => {
    expect(() => parsePartitionMetadata(text, '/d/t-0/partition.metadata')).toThrow(
      expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining('/d/t-0/partition.metadata') }),
    );
  });

  it('ensure writes it when absent, accepts the same id, refuses another one and leaves the file alone', async () => {
    const dir = await tempDir('spool-partition-metadata-');
    try {
      const partitionDir = join(dir.path, 't-0');
      await mkdir(partitionDir);
      expect(await readPartitionMetadata(partitionDir)).toBeNull();
      expect(await ensurePartitionMetadata(partitionDir, 'fwwcYlo3So6aVQ-fimwMAQ')).toBe(true);
      expect(await readFile(join(partitionDir, PARTITION_METADATA_FILE), 'utf8')).toBe(KAFKA_TEXT);
      expect(await readdir(partitionDir)).toEqual([PARTITION_METADATA_FILE]);
      expect(await ensurePartitionMetadata(partitionDir, 'fwwcYlo3So6aVQ-fimwMAQ')).toBe(false);
      await expect(ensurePartitionMetadata(partitionDir, 'HxQvI4wKTnudHgEjRWeJqw')).rejects.toMatchObject({
        code: 'KAFKA_STORAGE_ERROR',
        message: expect.stringContaining('INCONSISTENT_TOPIC_ID'),
      });
      expect(await readFile(join(partitionDir, PARTITION_METADATA_FILE), 'utf8')).toBe(KAFKA_TEXT);
      await writeFile(join(partitionDir, PARTITION_METADATA_FILE), 'garbage');
      await expect(readPartitionMetadata(partitionDir)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    } finally {
      await dir.remove();
    }
  });
});
